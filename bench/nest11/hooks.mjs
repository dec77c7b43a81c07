// Resolve hook for `--nest 11`: see register.mjs.
const REDIRECTED = /^(@nestjs\/[^/]+|rxjs|reflect-metadata)(\/.*)?$/;
let compatParentUrl;

export function initialize(data) {
  compatParentUrl = data.compatParentUrl;
}

export function resolve(specifier, context, nextResolve) {
  // Only imports made outside compat/nest11 are redirected; Nest 11's own requires already resolve there.
  if (REDIRECTED.test(specifier) && !(context.parentURL ?? '').includes('/compat/nest11/')) {
    return nextResolve(specifier, { ...context, parentURL: compatParentUrl });
  }
  return nextResolve(specifier, context);
}
