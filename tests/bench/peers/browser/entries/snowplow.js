// Snowplow's browser tracker as its docs show: newTracker with the collector
// URL, defaults otherwise (POST, buffer size 1, local-storage retry queue).
import { newTracker, trackPageView, trackStructEvent } from '@snowplow/browser-tracker';

window.peer = {
  init(endpoint) {
    newTracker('sp', endpoint, { appId: 'bench' });
    trackPageView();
  },
  track(name, label) {
    trackStructEvent({ category: 'bench', action: name, label });
  },
};
