// Suite cp-02: the seed's post-deployment checklist (CP-02 §7.1) and exercise CP-02.1's
// success criteria as automated checks.
import type { Suite } from '../../harness/src/runner/scenario.js';
import { adminLogin, cliStatus, defaultPacks, defaultPassword, organization } from './accounts.js';
import { securityHeaders } from './headers.js';
import { health, migrations } from './health.js';
import { metrics } from './metrics.js';
import { routing } from './routing.js';
import { noSecrets } from './secrets.js';
import { tls } from './tls.js';
import { webUi } from './web-ui.js';

export const suite: Suite = {
  id: 'cp-02',
  title: 'Post-deployment checklist and exercise CP-02.1',
  scenarios: [
    health,
    migrations,
    routing,
    webUi,
    // the failed default-password attempt first: the admin's successful login then clears
    // the account's failure count, so repeated runs never lock the admin out
    defaultPassword,
    adminLogin,
    organization,
    defaultPacks,
    cliStatus,
    metrics,
    securityHeaders,
    tls,
    // last: scans every response the run received
    noSecrets,
  ],
};
