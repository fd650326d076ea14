// meridian lab partition SITE: cut every link of a site (a fault experiment; lab heal ends it).
import { Command } from 'commander'
import { proxySocket } from '../lab/layout'
import { ProxyControl } from '../lab/proxy-control'
import { labSite } from './lab-exec'
import { labDir } from './lab-status'
import { print } from './run'

export async function labPartition(site: string, opts: { dir?: string }): Promise<void> {
  const dir = labDir(opts.dir)
  labSite(dir, site)
  await new ProxyControl(proxySocket(dir)).cut(site)
}

export function labPartitionCommand(): Command {
  return new Command('partition')
    .description('cut every link between a site and the others, until lab heal')
    .argument('<site>', 'the site to cut off')
    .option('--dir <dir>', 'the lab (default ~/.meridian/lab)')
    .option('--json', 'print JSON')
    .action(async (site: string, opts: { dir?: string; json?: boolean }) => {
      await labPartition(site, opts)
      print(opts.json, { cut: site }, `meridian: ${site} is cut off from the other sites (meridian lab heal restores it)`)
    })
}
