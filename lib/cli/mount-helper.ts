// The mount helper form: `mount -t fuse.meridian meridian:NAME DIR -o OPTIONS` (and the same
// line in /etc/fstab) makes mount(8) run mount.fuse, which runs `meridian meridian:NAME DIR -o
// OPTIONS`. That command line becomes `meridian mount DIR --name NAME --background ...`: it
// returns once the mount is up, and the serving process stays until `umount DIR`.
//
// NAME is the filesystem's name. Which metadata store holds it comes from the configuration
// file (`meta:`; -o config=FILE, else config.yaml in the Meridian home), else the embedded
// default in the Meridian home. Options of the form key=value map onto mount's flags:
//   config=FILE  --config FILE     reads=MODE  --reads MODE
//   binding=B    --binding B       attr_timeout=S  --attr-timeout S
// and the others stay mount options (-o: ro, noatime, allow_other, ...; lib/cli/mount-options.ts).
import { ConfigError } from '../errors'
import { parseMountOptions } from './mount-options'

/** key=value mount options and the flag each one sets */
const VALUE_OPTIONS: Record<string, string> = { config: '--config', reads: '--reads', binding: '--binding', attr_timeout: '--attr-timeout' }

const SOURCE = /^meridian:([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/

/** isHelperForm: the first of two or more arguments is a source, not a subcommand or option */
function isHelperForm(args: string[], commands: string[]): boolean {
  return args.length >= 2 && !args[0].startsWith('-') && !commands.includes(args[0])
}

/**
 * helperArgv turns the helper's command line into the mount command's; any other command line
 * comes back as it was. argv is process.argv (node, script, args...); commands, the names of
 * the program's subcommands.
 */
export function helperArgv(argv: string[], commands: string[]): string[] {
  const [node, script, ...args] = argv
  if (!isHelperForm(args, [...commands, 'help'])) return argv
  const [source, dir, ...rest] = args
  const name = SOURCE.exec(source)?.[1]
  if (name === undefined) throw new ConfigError('source', `'${source}' is not meridian:NAME (NAME: the filesystem's name, 1-64 letters, digits, '.', '_' or '-')`)
  const flags: string[] = []
  const options: string[] = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '-o' || i + 1 === rest.length) throw new ConfigError('o', `the mount helper takes SOURCE DIR [-o OPTIONS], not '${rest[i]}'`)
    for (const opt of rest[++i].split(',').filter(o => o !== '')) {
      const eq = opt.indexOf('=')
      const flag = eq > 0 ? VALUE_OPTIONS[opt.slice(0, eq)] : undefined
      if (flag) flags.push(flag, opt.slice(eq + 1))
      else options.push(opt)
    }
  }
  // mount -o remount,ro DIR: mount(8) repeats every option the kernel shows (user_id=0, ...); only ro or rw changes
  if (options.includes('remount')) {
    const mode = options.filter(o => o === 'ro' || o === 'rw').pop() ?? 'rw'
    return [node, script, 'mount', dir, '-o', `remount,${mode}`]
  }
  // checked here, so that an unknown option fails before anything starts, and names all that are known
  parseMountOptions(options.join(','), Object.keys(VALUE_OPTIONS).map(k => `${k}=`))
  return [node, script, 'mount', dir, '--name', name, '--background', ...flags, ...(options.length > 0 ? ['-o', options.join(',')] : [])]
}
