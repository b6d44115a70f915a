'use strict';
// The "require" export condition lands here: the @rumpts packages are ES modules only, and a
// require() of them should say so plainly instead of failing with ERR_PACKAGE_PATH_NOT_EXPORTED.
const { name } = require('./package.json');
const err = new Error(
  `${name} is an ES module (ESM-only package): load it with \`import … from '${name}'\`, or with \`await import('${name}')\` from CommonJS; require() is not supported.`,
);
err.code = 'ERR_REQUIRE_ESM';
throw err;
