// Plausible's tracker as its docs show: init with the domain and endpoint;
// it captures the page view itself.
import { init, track } from '@plausible-analytics/tracker';

window.peer = {
  init(endpoint) {
    init({ domain: 'bench.example', endpoint: endpoint + '/api/event', captureOnLocalhost: true });
  },
  track(name, label) {
    track(name, { props: { label } });
  },
};
