// Segment's analytics-next as its docs show: AnalyticsBrowser.load with a
// write key; its settings come from cdnURL (the stub answers them and points
// the Segment.io destination at the stub).
import { AnalyticsBrowser } from '@segment/analytics-next';

let analytics;
window.peer = {
  init(endpoint) {
    analytics = AnalyticsBrowser.load({ writeKey: 'bench', cdnURL: endpoint });
    analytics.page();
  },
  track(name, label) {
    analytics.track(name, { label });
  },
};
