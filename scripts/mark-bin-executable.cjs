#!/usr/bin/env node
// Part of `npm run build`: makes the files package.json "bin" names executable. tsc keeps their
// `#!/usr/bin/env node` line but writes every file 0644; npm pack keeps the mode it finds, so the
// tarball holds them 0755 and `npx nestjs-clamator` runs even where npm's bin links do not chmod.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { bin = {} } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const target of Object.values(bin)) {
  const file = path.join(root, target);
  if (!fs.existsSync(file)) {
    console.error(`mark-bin-executable: ${target} (package.json "bin") is missing: did the build emit it?`);
    process.exit(1);
  }
  if (!fs.readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')) {
    console.error(`mark-bin-executable: ${target} does not start with #!/usr/bin/env node`);
    process.exit(1);
  }
  fs.chmodSync(file, 0o755);
}
