// Flags override the file: before a command runs, each of its options that the command line
// did not set takes the file's value (the top level's meta and name, then the command's own
// section), marked with commander's 'config' source. The tunables and the file's path travel
// along as the options `tuning` and `configFile`.
import type { Command } from 'commander'
import { loadConfig, type Config } from './load'

/** camel turns a flag name into commander's attribute name: attr-timeout -> attrTimeout */
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/** sectionOf names a command's section: mount, pool-scan */
export function sectionOf(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name())
  return names.join('-')
}

/** applyConfig sets the options of cmd that the command line left alone from config */
export function applyConfig(cmd: Command, config: Config): void {
  const attributes = new Set(cmd.options.map(o => o.attributeName()))
  const values = { ...config.sections[''], ...config.sections[sectionOf(cmd)] }
  for (const [flag, value] of Object.entries(values)) {
    const key = camel(flag)
    if (!attributes.has(key)) continue
    const source = cmd.getOptionValueSource(key)
    if (source !== undefined && source !== 'default') continue
    // the commands parse what they are given as text, as from a command line
    cmd.setOptionValueWithSource(key, typeof value === 'number' ? String(value) : value, 'config')
  }
  cmd.setOptionValueWithSource('tuning', config.tuning, 'config')
  if (config.file !== undefined) cmd.setOptionValueWithSource('configFile', config.file, 'config')
}

/** withConfig adds --config to the program and applies the file before every command runs (showGlobals lists it in each command's help) */
export function withConfig(program: Command): Command {
  return program
    .option('--config <file>', 'configuration file (default: config.yaml in the Meridian home, when present; docs/operations.md)')
    .hook('preAction', (root, action) => applyConfig(action, loadConfig(root.opts<{ config?: string }>().config)))
}

/** showGlobals makes every command's help list the program's options (--config) too */
export function showGlobals(cmd: Command): void {
  cmd.configureHelp({ showGlobalOptions: true })
  for (const sub of cmd.commands) showGlobals(sub)
}
