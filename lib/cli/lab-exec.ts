// meridian lab exec SITE -- CMD...: run a command with its working directory in a site's mount.
import { spawn } from 'node:child_process'
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { mountDir } from '../lab/layout'
import { readState } from '../lab/process-table'
import { labDir } from './lab-status'

/** labSite checks that dir holds a lab with site */
export function labSite(dir: string, site: string): void {
  const state = readState(dir)
  if (!state) throw new ConfigError('dir', `no lab in ${dir}: run meridian lab up first`)
  if (!state.sites.some(s => s.name === site)) throw new ConfigError('site', `'${site}' is not a site of the lab in ${dir} (sites: ${state.sites.map(s => s.name).join(', ')})`)
}

/** labExec runs command in site's mount and resolves with its exit code */
export async function labExec(site: string, command: string[], opts: { dir?: string }): Promise<number> {
  const dir = labDir(opts.dir)
  labSite(dir, site)
  if (command.length === 0) throw new ConfigError('command', 'give the command after --, e.g. meridian lab exec eu -- ls -l')
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: mountDir(dir, site), stdio: 'inherit' })
    child.on('error', err => reject(new ConfigError('command', `cannot run ${command[0]}: ${err.message}`)))
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

export function labExecCommand(): Command {
  return new Command('exec')
    .description("run a command inside a site's mount: meridian lab exec eu -- ls -l")
    .argument('<site>', 'the site')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--dir <dir>', 'the lab (default ~/.meridian/lab)')
    .action(async (site: string, command: string[], opts: { dir?: string }) => {
      process.exitCode = await labExec(site, command, opts)
    })
}
