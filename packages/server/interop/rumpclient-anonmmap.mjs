// @rumpts/rumpclient's sysproxy client through what spclient's anonmmap mode does: open /dev/sysmon
// and ask for its dictionary (ENVSYS_GETDICTIONARY), which makes the kernel map memory in the client
// (ANONMMAP) and COPYOUT the plist there. Needs a server with /dev/sysmon (NetBSD's, -lrumpdev_sysmon).
import { connect } from '@rumpts/rumpclient';
const O_RDWR = 2;
const ENVSYS_GETDICTIONARY = 0xc0104500; // _IOWR('E', 0, struct plistref)
const c = await connect(process.argv[2], { protocol: 'sysproxy', comm: 'rumpts-anonmmap' });
try {
  const fd = await c.open('/dev/sysmon', O_RDWR);
  const ref = Buffer.from(await c.ioctl(fd, ENVSYS_GETDICTIONARY));
  const addr = Number(ref.readBigUInt64LE(0));
  const len = Number(ref.readBigUInt64LE(8));
  console.log(`plistref: len=${len}`);
  console.log(Buffer.from(c.readMemory(addr, len)).toString('latin1').replace(/\0+$/, ''));
  await c.close(fd);
} catch (e) {
  console.log(`${e.syscall ?? ''}: ${e.code}`);
}
await c.disconnect();
