package dev.clickstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The sessionization peer: clean events (keyed by session id, as the enrich
 * stage writes them) grouped into session windows with the cookie's gap, in
 * event time, written as one JSON line per closed session:
 * {"session_id","site","start_ms","end_ms","events","page_views"}.
 *
 * Configured as the Kafka Streams documentation recommends for final results
 * of session windows: groupByKey (no repartition, the topic is already keyed
 * by session), suppress(untilWindowCloses), default state stores, one stream
 * thread per core. Prints "processed N ends E state S" every second on
 * stdout for the benchmark to follow: N events read, E closed sessions
 * handed to the output topic whose session id starts with END_PREFIX.
 *
 * The benchmark ends its input with two marker events per partition, each
 * past the traffic by more than gap + grace: the first closes every real
 * session of its partition (stream time is per partition), the second closes
 * the first's session. Suppression emits in window-end order, so once E
 * counts one first marker per partition every real session has been handed
 * to the producer; close() (SIGTERM) then flushes it.
 *
 * Usage: SessionsApp BOOTSTRAP INPUT OUTPUT APPLICATION_ID GAP_MS GRACE_MS STATE_DIR THREADS END_PREFIX
 */
public final class SessionsApp {
    private static final ObjectMapper json = new ObjectMapper();
    private static final LongAdder processed = new LongAdder();
    private static final LongAdder ends = new LongAdder();

    /** A session's running totals; the window's bounds come from the window itself. */
    static final class Session {
        long events;
        long pageViews;
        String site = "";

        Session add(JsonNode event) {
            events++;
            if ("page_view".equals(event.path("type").asText())) pageViews++;
            if (site.isEmpty()) site = event.path("site").asText();
            return this;
        }

        Session merge(Session other) {
            Session s = new Session();
            s.events = events + other.events;
            s.pageViews = pageViews + other.pageViews;
            s.site = site.isEmpty() ? other.site : site;
            return s;
        }
    }

    static final class SessionSerde implements Serde<Session> {
        @Override
        public Serializer<Session> serializer() {
            return (topic, s) -> {
                byte[] site = s.site.getBytes(StandardCharsets.UTF_8);
                return ByteBuffer.allocate(16 + site.length).putLong(s.events).putLong(s.pageViews).put(site).array();
            };
        }

        @Override
        public Deserializer<Session> deserializer() {
            return (topic, bytes) -> {
                if (bytes == null) return null;
                ByteBuffer b = ByteBuffer.wrap(bytes);
                Session s = new Session();
                s.events = b.getLong();
                s.pageViews = b.getLong();
                s.site = new String(bytes, 16, bytes.length - 16, StandardCharsets.UTF_8);
                return s;
            };
        }
    }

    /** Event time: the clean event's corrected `event_time_ms`, as our stage uses. */
    static final class EventTime implements TimestampExtractor {
        @Override
        public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
            try {
                return json.readTree((String) record.value()).path("event_time_ms").asLong(partitionTime);
            } catch (Exception e) {
                return partitionTime;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println(
                "usage: SessionsApp BOOTSTRAP INPUT OUTPUT APPLICATION_ID GAP_MS GRACE_MS STATE_DIR THREADS END_PREFIX");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[6]);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args[7]));
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        long gap = Long.parseLong(args[4]);
        long grace = Long.parseLong(args[5]);
        String endPrefix = args[8];

        Serde<Session> sessionSerde = new SessionSerde();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.String()).withTimestampExtractor(new EventTime()))
            .mapValues(SessionsApp::parse)
            .filter((key, event) -> event != null)
            .peek((key, event) -> processed.increment())
            .groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(gap), Duration.ofMillis(grace)))
            .aggregate(Session::new, (key, event, s) -> s.add(event), (key, a, b) -> a.merge(b),
                Materialized.with(Serdes.String(), sessionSerde))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream()
            .map((window, s) -> KeyValue.pair(window.key(), String.format(
                "{\"session_id\":\"%s\",\"site\":\"%s\",\"start_ms\":%d,\"end_ms\":%d,\"events\":%d,\"page_views\":%d}",
                window.key(), s.site, window.window().start(), window.window().end(), s.events, s.pageViews)))
            .peek((key, value) -> {
                if (key.startsWith(endPrefix)) ends.increment();
            })
            .to(args[2], Produced.with(Serdes.String(), Serdes.String()));

        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            stop.countDown();
        }));
        Thread progress = new Thread(() -> {
            while (true) {
                System.out.println("processed " + processed.sum() + " ends " + ends.sum() + " state " + streams.state());
                System.out.flush();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        progress.setDaemon(true);
        progress.start();  // from the start: a slow rebalance shows as its state
        streams.start();
        stop.await();
    }

    private static JsonNode parse(String value) {
        try {
            return json.readTree(value);
        } catch (Exception e) {
            return null;
        }
    }
}
