// Runs the program and turns any failure into one line on stderr and a non-zero exit.
import type { Command } from 'commander'
import { ConfigError, FsError, MetaError } from '../errors'

/**
 * run parses process.argv, after rewrite (given the names of the program's subcommands: the
 * mount helper's form, lib/cli/mount-helper.ts)
 */
export function run(program: Command, rewrite: (argv: string[], commands: string[]) => string[] = argv => argv): void {
  const commands = program.commands.map(c => c.name())
  Promise.resolve().then(() => program.parseAsync(rewrite(process.argv, commands))).catch((err: unknown) => {
    const { line, exitCode } = failure(err)
    process.stderr.write(line)
    process.exitCode = exitCode
  })
}

/** failure is what a command that threw reports: one line (a stack for what nobody expected) and its exit code */
export function failure(err: unknown): { line: string; exitCode: number } {
  const known = err instanceof ConfigError || err instanceof MetaError || err instanceof FsError
  return {
    // a name with a newline in it (a path, a file name) must not break the one line in two
    line: `meridian: ${known ? err.message.replace(/[\r\n]/g, c => JSON.stringify(c).slice(1, -1)) : ((err as Error)?.stack ?? String(err))}\n`,
    exitCode: err instanceof ConfigError ? 2 : 1,
  }
}

/** print writes a result for people, or as JSON with --json. */
export function print(json: boolean | undefined, value: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human + '\n')
}
