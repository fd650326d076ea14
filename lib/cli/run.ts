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
    if (err instanceof ConfigError || err instanceof MetaError || err instanceof FsError) {
      process.stderr.write(`meridian: ${err.message}\n`)
    } else {
      process.stderr.write(`meridian: ${(err as Error)?.stack ?? String(err)}\n`)
    }
    process.exitCode = err instanceof ConfigError ? 2 : 1
  })
}

/** print writes a result for people, or as JSON with --json. */
export function print(json: boolean | undefined, value: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human + '\n')
}
