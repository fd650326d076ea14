// The status page: one HTML document with a little script that polls /status.json every
// REFRESH_MS and redraws its tables. No framework: the page is four tables and a header.
export const REFRESH_MS = 2_000

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  #meta { color: #5b6475; }
  table { border-collapse: collapse; background: #fff; min-width: 40em; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid #e3e6eb; font-variant-numeric: tabular-nums; }
  th { background: #eef1f5; font-weight: 600; }
  td.bad { color: #b3261e; font-weight: 600; }
  td.good { color: #1e7b34; }
  .empty { color: #8a92a3; font-style: italic; }
  #error { color: #b3261e; }
`

// runs in the browser: fetch, then fill each table; a failed poll shows why and keeps the last figures
const SCRIPT = `
  const esc = v => String(v ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
  const mib = n => (n / 1048576).toFixed(1) + ' MiB'
  const age = s => s === undefined || s === null ? '' : s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'
  function table(id, head, rows) {
    const el = document.getElementById(id)
    if (rows.length === 0) { el.innerHTML = '<tr><td class="empty">none</td></tr>'; return }
    el.innerHTML = '<tr>' + head.map(h => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
      rows.map(r => '<tr>' + r.map(c => typeof c === 'object' && c !== null ? '<td class="' + c.cls + '">' + esc(c.text) + '</td>' : '<td>' + esc(c) + '</td>').join('') + '</tr>').join('')
  }
  async function refresh() {
    try {
      const s = await (await fetch('status.json', { cache: 'no-store' })).json()
      document.getElementById('title').textContent = 'Meridian: ' + s.fs
      document.getElementById('meta').textContent = s.meta + ' · served by ' + s.host + ' · ' + new Date(s.at).toLocaleTimeString()
      table('groups', ['group', 'id', 'metadata', 'reachable', 'revision'], s.groups.map(g =>
        [g.name, g.id, g.url, g.reachable ? { cls: 'good', text: 'yes' } : { cls: 'bad', text: 'no: ' + (g.error || '') }, g.revision]))
      table('pools', ['pool', 'site', 'driver', 'weight', 'state'], s.pools.map(p =>
        [p.name, p.site, p.driver, p.weight, p.state === 'active' ? { cls: 'good', text: p.state } : { cls: 'bad', text: p.state }]))
      table('sessions', ['group', 'session', 'host', 'pid', 'age'], s.sessions.map(x => [x.group, x.sid.slice(0, 8), x.host, x.pid, age(x.ageS)]))
      document.getElementById('backlog').textContent = s.backlog.blobs + ' blobs, ' + mib(s.backlog.bytes)
      document.getElementById('backlog').className = s.backlog.blobs > 0 ? 'bad' : 'good'
      table('slow', ['ended', 'operation', 'path, or inode / name', 'ms', 'errno'], s.slow.map(o =>
        [new Date(o.at).toLocaleTimeString(), o.op, o.path ?? (o.entry === undefined ? o.ino : o.ino + ' / ' + o.entry), o.ms, o.errno]))
      document.getElementById('error').textContent = ''
      document.body.dataset.loaded = 'yes'
    } catch (err) {
      document.getElementById('error').textContent = 'refresh failed: ' + err.message
    }
  }
  refresh()
  setInterval(refresh, ${REFRESH_MS})
`

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Meridian status</title>
<style>${STYLE}</style>
</head>
<body>
<h1 id="title">Meridian</h1>
<div id="meta">loading…</div>
<div id="error"></div>
<h2>Metadata groups</h2><table id="groups"></table>
<h2>Pools</h2><table id="pools"></table>
<h2>Sessions (mounts)</h2><table id="sessions"></table>
<h2>Replication backlog: <span id="backlog"></span></h2>
<h2>Recent slow operations</h2><table id="slow"></table>
<script>${SCRIPT}</script>
</body>
</html>
`
