#!/usr/bin/env node
// The meridian command: assembles the subcommands of lib/cli, nothing else.
import { Command } from 'commander'
import { benchCommand } from '../lib/cli/bench'
import { formatCommand } from '../lib/cli/format'
import { fsckCommand } from '../lib/cli/fsck'
import { groupCommand } from '../lib/cli/group'
import { mountCommand } from '../lib/cli/mount'
import { partitionCommand } from '../lib/cli/partition'
import { run } from '../lib/cli/run'
import { statusCommand } from '../lib/cli/status'
import { umountCommand } from '../lib/cli/umount'

const { version } = require('../../package.json') as { version: string }

const program = new Command('meridian')
  .description('a global, strongly consistent POSIX filesystem')
  .version(version, '-V, --version')
  .showHelpAfterError()

program.addCommand(statusCommand())
program.addCommand(formatCommand())
program.addCommand(mountCommand())
program.addCommand(umountCommand())
program.addCommand(fsckCommand())
program.addCommand(groupCommand())
program.addCommand(partitionCommand())
program.addCommand(benchCommand())

run(program)
