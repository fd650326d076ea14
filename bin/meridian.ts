#!/usr/bin/env node
// The meridian command: assembles the subcommands of lib/cli, nothing else.
import { Command } from 'commander'
import { showGlobals, withConfig } from '../lib/config/apply'
import { benchCommand } from '../lib/cli/bench'
import { driverTestCommand } from '../lib/cli/driver-test'
import { conformanceCommand } from '../lib/cli/conformance'
import { explainCommand } from '../lib/cli/explain'
import { formatCommand } from '../lib/cli/format'
import { fsckCommand } from '../lib/cli/fsck'
import { gcCommand } from '../lib/cli/gc'
import { groupCommand } from '../lib/cli/group'
import { infoCommand } from '../lib/cli/info'
import { labDownCommand } from '../lib/cli/lab-down'
import { labExecCommand } from '../lib/cli/lab-exec'
import { labHealCommand } from '../lib/cli/lab-heal'
import { labPartitionCommand } from '../lib/cli/lab-partition'
import { labStatusCommand } from '../lib/cli/lab-status'
import { labUpCommand } from '../lib/cli/lab-up'
import { mountCommand } from '../lib/cli/mount'
import { helperArgv } from '../lib/cli/mount-helper'
import { partitionCommand } from '../lib/cli/partition'
import { policyApplyCommand } from '../lib/cli/policy-apply'
import { policyExportCommand } from '../lib/cli/policy-export'
import { policyGetCommand } from '../lib/cli/policy-get'
import { policyLsCommand } from '../lib/cli/policy-ls'
import { policyRmCommand } from '../lib/cli/policy-rm'
import { policySetCommand } from '../lib/cli/policy-set'
import { poolAddCommand } from '../lib/cli/pool-add'
import { poolDrainCommand } from '../lib/cli/pool-drain'
import { poolLsCommand } from '../lib/cli/pool-ls'
import { poolRmCommand } from '../lib/cli/pool-rm'
import { poolScanCommand } from '../lib/cli/pool-scan'
import { poolTestCommand } from '../lib/cli/pool-test'
import { replicateCommand } from '../lib/cli/replicate'
import { run } from '../lib/cli/run'
import { snapshotCreateCommand } from '../lib/cli/snapshot-create'
import { snapshotLsCommand } from '../lib/cli/snapshot-ls'
import { snapshotRmCommand } from '../lib/cli/snapshot-rm'
import { serveCommand } from '../lib/cli/serve'
import { statusCommand } from '../lib/cli/status'
import { umountCommand } from '../lib/cli/umount'

const { version } = require('../../package.json') as { version: string }

/** program is the whole command tree (exported so that test/bad-input.ts can walk it) */
export const program = withConfig(new Command('meridian'))
  .description('a global, strongly consistent POSIX filesystem (also a mount helper: meridian meridian:NAME DIR -o OPTIONS)')
  .version(version, '-V, --version')

program.addCommand(statusCommand())
program.addCommand(formatCommand())
program.addCommand(mountCommand())
program.addCommand(umountCommand())
program.addCommand(fsckCommand())
program.addCommand(groupCommand())
program.addCommand(partitionCommand())
program.addCommand(benchCommand())
program.addCommand(new Command('pool').description('the storage pools: add, ls, rm, drain, test, scan')
  .addCommand(poolAddCommand()).addCommand(poolLsCommand()).addCommand(poolRmCommand())
  .addCommand(poolDrainCommand()).addCommand(poolTestCommand()).addCommand(poolScanCommand()))
program.addCommand(replicateCommand())
program.addCommand(explainCommand())
program.addCommand(driverTestCommand())
program.addCommand(infoCommand())
program.addCommand(gcCommand())
program.addCommand(serveCommand())
program.addCommand(conformanceCommand())
program.addCommand(new Command('policy').description('placement policies per path prefix: set, get, ls, rm, apply, export')
  .addCommand(policySetCommand()).addCommand(policyGetCommand()).addCommand(policyLsCommand())
  .addCommand(policyRmCommand()).addCommand(policyApplyCommand()).addCommand(policyExportCommand()))
program.addCommand(new Command('snapshot').description('consistent snapshots of the whole filesystem: create, ls, rm (mount one with mount --snapshot)')
  .addCommand(snapshotCreateCommand()).addCommand(snapshotLsCommand()).addCommand(snapshotRmCommand()))
program.addCommand(new Command('lab').description('a whole multi-site deployment on this machine: up, status, exec, partition, heal, down')
  .addCommand(labUpCommand()).addCommand(labStatusCommand()).addCommand(labExecCommand())
  .addCommand(labPartitionCommand()).addCommand(labHealCommand()).addCommand(labDownCommand()))

if (require.main === module) {
  showGlobals(program)
  run(program, helperArgv)
}
