// RudderStack's JavaScript SDK v3 as its docs show: load with a write key and
// the data plane URL; its source config comes from configUrl (the stub). The
// bundled build carries its plugins (the default fetches them from
// RudderStack's CDN, unreachable from a self-hosted page).
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';

const rudder = new RudderAnalytics();
window.peer = {
  init(endpoint) {
    rudder.load('bench', endpoint, { configUrl: endpoint });
    rudder.page();
  },
  track(name, label) {
    rudder.track(name, { label });
  },
};
