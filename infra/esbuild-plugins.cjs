// esbuild plugins for the function bundles: serverless.yml names this file in custom.esbuild.plugins
// (serverless-esbuild requires it) and the bundle benchmark loads the same file, so both build the same bundles.
//
// - sdk-runtime-dedupe: `@aws-sdk/client-drs` 3.523.0, the only version on our registry, depends on exact old
//   versions of the SDK runtime, which npm installs as a second copy under its own node_modules (credential
//   providers, an old STS and SSO-OIDC client, signer, HTTP handler, @smithy/core: about 150 KB per bundle).
//   Its imports of those packages resolve to the single top-level copy every other client uses. esbuild refuses
//   an import of a name the top-level copy does not export, and test/e2e/drs-bundle.test.ts runs the bundled
//   reverse-replication handler (DRS calls signed with the top-level runtime) against an AWS double.
// - sdk-schema-keys: current SDK clients describe their shapes as one module of arrays (schemas_0.js) whose
//   trait objects use constants as computed keys (`{ [_xN]: _sIn }`). esbuild cannot prove such a key free of
//   side effects (it could be an object with a toString), so it keeps every shape of the service: the whole
//   EC2 model (540 KB) for three EC2 operations. The constants are string literals declared in the same module
//   (`const _xN = "xmlName";`), so writing the literal as the key (`{ "xmlName": _sIn }`) is the same object;
//   then esbuild drops the shapes no command of ours reaches.
// - sdk-package-version: each SDK client imports its package.json for one field, `packageInfo.version` (the
//   user agent); bundled whole, the manifests of four clients are 11 KB. The client gets `{ "version" }` only.
'use strict';

const { existsSync, readdirSync, realpathSync } = require('node:fs');
const { readFile } = require('node:fs/promises');
const { join, sep } = require('node:path');

const ROOT = join(__dirname, '..');
/** A package installed under another package's node_modules: a second copy of it. */
const NESTED = /[\\/]node_modules[\\/].+[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/]/;

/**
 * The installed packages (real paths, ending in a separator) that hold their own copy of an SDK package
 * (`<package>/node_modules/@aws-sdk` or `@smithy`): the only places an import can resolve to a nested copy.
 */
function packagesWithNestedSdk(root) {
  const modules = join(root, 'node_modules');
  if (!existsSync(modules)) return [];
  const top = realpathSync(modules);
  const owners = [];
  const visit = (dir) => {
    const nested = join(dir, 'node_modules');
    if (existsSync(join(nested, '@aws-sdk')) || existsSync(join(nested, '@smithy'))) owners.push(dir + sep);
  };
  for (const entry of readdirSync(top)) {
    if (!entry.startsWith('@')) visit(join(top, entry));
    else for (const name of readdirSync(join(top, entry))) visit(join(top, entry, name));
  }
  return owners;
}

/**
 * Resolves an SDK package that would come from a private nested copy to the project's top-level copy instead.
 * Only the old DRS client's dependency tree has nested copies here (itself, and the old runtime packages npm
 * hoisted for it: util-defaults-mode-node, util-stream, client-sso, the middleware packages).
 */
function sdkRuntimeDedupe(root = ROOT) {
  const owners = packagesWithNestedSdk(root);
  return {
    name: 'sdk-runtime-dedupe',
    setup(build) {
      build.onResolve({ filter: /^@(aws-sdk|smithy)\// }, async (args) => {
        if (args.pluginData?.sdkRuntimeDedupe) return undefined;
        // Only code inside a package that has its own nested SDK copies can resolve to one; everything else is
        // left to esbuild (a plugin's build.resolve is slow: uncached lookups up the whole directory tree).
        if (!owners.some((owner) => args.importer.startsWith(owner))) return undefined;
        const pluginData = { sdkRuntimeDedupe: true };
        const own = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData,
        });
        if (own.errors.length > 0 || !NESTED.test(own.path)) return own;
        return build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData });
      });
    },
  };
}

const SCHEMAS = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const STRING_CONSTANT = /^const (_[A-Za-z0-9_$]+) = ("[^"\\\n]*");$/gm;
const COMPUTED_KEY = /\[(_[A-Za-z0-9_$]+)\]:/g;

/** Replaces each computed key naming a module-level string constant with the string itself. */
function inlineSchemaKeys(source) {
  const constants = new Map();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name, literal);
  return source.replace(COMPUTED_KEY, (key, name) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** Lets esbuild tree-shake the SDK clients' schema modules (see the file comment). */
function sdkSchemaKeys() {
  return {
    name: 'sdk-schema-keys',
    setup(build) {
      build.onLoad({ filter: /[\\/]schemas_\d+\.js$/ }, async (args) => {
        if (!SCHEMAS.test(args.path)) return undefined;
        return { contents: inlineSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' };
      });
    },
  };
}

const SDK_DIST = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]/;

/** Gives an SDK package's own code its package.json as `{ "version" }`, the one field it reads. */
function sdkPackageVersion() {
  return {
    name: 'sdk-package-version',
    setup(build) {
      build.onResolve({ filter: /^(\.\.\/)+package\.json$/ }, async (args) => {
        if (args.pluginData?.sdkPackageVersion || !SDK_DIST.test(args.importer)) return undefined;
        const pluginData = { sdkPackageVersion: true };
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData,
        });
        if (resolved.errors.length > 0) return resolved;
        // A manifest has no side effects: a client nobody uses keeps none of its bytes for it.
        return { path: resolved.path, namespace: 'sdk-package-version', sideEffects: false };
      });
      build.onLoad({ filter: /.*/, namespace: 'sdk-package-version' }, async (args) => {
        const { version } = JSON.parse(await readFile(args.path, 'utf8'));
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
    },
  };
}

module.exports = [sdkRuntimeDedupe(), sdkSchemaKeys(), sdkPackageVersion()];
module.exports.sdkRuntimeDedupe = sdkRuntimeDedupe;
module.exports.sdkSchemaKeys = sdkSchemaKeys;
module.exports.inlineSchemaKeys = inlineSchemaKeys;
module.exports.sdkPackageVersion = sdkPackageVersion;
