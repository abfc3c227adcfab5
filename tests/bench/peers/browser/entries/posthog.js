// posthog-js as its docs show: init with the API host; the page view is
// captured on init. Autocapture and session recording are off (they would
// only add requests the other trackers don't make).
import posthog from 'posthog-js';

window.peer = {
  init(endpoint) {
    posthog.init('phc_bench', {
      api_host: endpoint,
      autocapture: false,
      disable_session_recording: true,
      disable_surveys: true,
      // The browser is automated (navigator.webdriver): PostHog's own advice
      // for end-to-end tests, or it drops every event as a bot's.
      opt_out_useragent_filter: true,
    });
  },
  track(name, label) {
    posthog.capture(name, { label });
  },
};
