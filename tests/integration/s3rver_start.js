// Starts @20minutes/s3rver on 127.0.0.1:PORT with bucket BUCKET, storing under DIR, and
// prints "ready". It checks SigV4 with its fixed key pair S3RVER/S3RVER.
//   NODE_PATH=build/node_modules node s3rver_start.js PORT DIR BUCKET
const S3rver = require('@20minutes/s3rver');
const [port, dir, bucket] = process.argv.slice(2);
new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket }],
})
  .run()
  .then(() => console.log('ready'))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
