// The etcd3 npm client (grpc-js) for the TLS tests: connects to the https hosts with the given CA, certificate
// and key, then puts, gets, runs a txn, grants a lease and watches, printing one line per step; exit code 1 on
// the first failure.
// usage: node client.js HOSTS CA CERT KEY PREFIX
const fs = require('fs');
const { Etcd3 } = require('etcd3');

async function main() {
  const [hosts, ca, cert, key, prefix] = process.argv.slice(2);
  const client = new Etcd3({
    hosts: hosts.split(','),
    credentials: {
      rootCertificate: fs.readFileSync(ca),
      certChain: fs.readFileSync(cert),
      privateKey: fs.readFileSync(key),
    },
    dialTimeout: 5000,
  });
  try {
    const watcher = await client.watch().key(prefix + 'watched').create();
    const event = new Promise((resolve) => watcher.on('put', (kv) => resolve(kv)));
    await client.put(prefix + 'a').value('1');
    const all = await client.getAll().prefix(prefix).strings();
    console.log(`get ${Object.keys(all).length} ${prefix}a=${all[prefix + 'a']}`);
    const txn = await client.if(prefix + 'a', 'Value', '==', '1').then(client.put(prefix + 'b').value('2')).else(client.put(prefix + 'b').value('0')).commit();
    console.log(`txn succeeded=${txn.succeeded}`);
    const lease = client.lease(30);
    await lease.put(prefix + 'leased').value('x');
    const leased = await client.get(prefix + 'leased').string();
    console.log(`leased ${leased} id=${(await lease.grant()).length > 0}`);
    await client.put(prefix + 'watched').value('w');
    const kv = await event;
    console.log(`watch PUT ${kv.key.toString()}=${kv.value.toString()}`);
    await watcher.cancel();
    await lease.revoke();
    console.log('done');
  } finally {
    client.close();
  }
}

main().catch((e) => {
  console.log(`failed: ${e && e.message}`);
  process.exit(1);
});
