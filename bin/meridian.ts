#!/usr/bin/env node
// The meridian command: assembles the subcommands of lib/cli, nothing else.
import { Command } from 'commander'
import { benchCommand } from '../lib/cli/bench'
import { explainCommand } from '../lib/cli/explain'
import { formatCommand } from '../lib/cli/format'
import { fsckCommand } from '../lib/cli/fsck'
import { gcCommand } from '../lib/cli/gc'
import { groupCommand } from '../lib/cli/group'
import { labDownCommand } from '../lib/cli/lab-down'
import { labExecCommand } from '../lib/cli/lab-exec'
import { labHealCommand } from '../lib/cli/lab-heal'
import { labPartitionCommand } from '../lib/cli/lab-partition'
import { labStatusCommand } from '../lib/cli/lab-status'
import { labUpCommand } from '../lib/cli/lab-up'
import { mountCommand } from '../lib/cli/mount'
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
program.addCommand(new Command('pool').description('the storage pools: add, ls, rm, drain, test, scan')
  .addCommand(poolAddCommand()).addCommand(poolLsCommand()).addCommand(poolRmCommand())
  .addCommand(poolDrainCommand()).addCommand(poolTestCommand()).addCommand(poolScanCommand()))
program.addCommand(replicateCommand())
program.addCommand(explainCommand())
program.addCommand(gcCommand())
program.addCommand(new Command('policy').description('placement policies per path prefix: set, get, ls, rm, apply, export')
  .addCommand(policySetCommand()).addCommand(policyGetCommand()).addCommand(policyLsCommand())
  .addCommand(policyRmCommand()).addCommand(policyApplyCommand()).addCommand(policyExportCommand()))
program.addCommand(new Command('lab').description('a whole multi-site deployment on this machine: up, status, exec, partition, heal, down')
  .addCommand(labUpCommand()).addCommand(labStatusCommand()).addCommand(labExecCommand())
  .addCommand(labPartitionCommand()).addCommand(labHealCommand()).addCommand(labDownCommand()))

run(program)
