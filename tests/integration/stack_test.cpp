// The plumbing under everything else: the local stack's Kafka takes and gives
// back messages through librdkafka, its topics exist as configured, and its
// ClickHouse stores and returns rows over HTTP with the migrated tables.
#include "support/stack.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/kafka_topics.h"

namespace t = clickstream::test;
using namespace std::chrono_literals;

namespace {

struct rk_deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;

using settings = std::vector<std::pair<std::string, std::string>>;

// A client of the stack's broker; `tweak` may set callbacks on the conf.
rk_ptr make_client(rd_kafka_type_t type, const settings& extra,
                   const std::function<void(rd_kafka_conf_t*)>& tweak = {}) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& k, const std::string& v) {
        EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK)
            << err;
    };
    set("bootstrap.servers", t::kafka_bootstrap());
    for (const auto& [k, v] : extra) set(k, v);
    if (tweak) tweak(conf);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    EXPECT_NE(rk, nullptr) << err;
    return rk_ptr(rk);
}

struct delivery_count {
    int ok = 0;
    int failed = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* d = static_cast<delivery_count*>(opaque);
    (m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? d->ok : d->failed)++;
}

// One statement to the stack's ClickHouse; fails the test on a non-200 answer.
std::string clickhouse(const std::string& sql, const std::string& database = "default") {
    auto r = t::http_post(t::clickhouse_url() + "/?database=" + database, sql);
    EXPECT_EQ(r.status, 200) << sql << "\n" << r.error << r.body;
    return r.body;
}

}  // namespace

TEST(stack, topics_exist_with_configured_partitions) {
    rk_ptr rk = make_client(RD_KAFKA_PRODUCER, {});
    for (const char* name :
         {"clickstream.raw", "clickstream.clean", "clickstream.bots", "clickstream.dlq"}) {
        EXPECT_GE(t::partitions_of(rk.get(), name), 1) << name;
    }
    EXPECT_EQ(t::partitions_of(rk.get(), "clickstream.raw"), 4) << "default partition count is 4";
}

TEST(stack, kafka_round_trip_keeps_bytes_keys_and_headers) {
    const std::string topic = t::unique_name("it_roundtrip");
    delivery_count delivered;
    rk_ptr p = make_client(RD_KAFKA_PRODUCER, {{"enable.idempotence", "true"}, {"acks", "all"}},
                           [&](rd_kafka_conf_t* conf) {
                               rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
                               rd_kafka_conf_set_opaque(conf, &delivered);
                           });
    ASSERT_TRUE(p);
    ASSERT_EQ(t::make_topic(t::kafka_bootstrap(), topic, 2), "");

    constexpr int kMessages = 200;
    std::set<std::string> sent;
    for (int i = 0; i < kMessages; ++i) {
        std::string key = "anon-" + std::to_string(i % 7);
        std::string value = R"({"v":1,"n":)" + std::to_string(i) + std::string("}\0\xff", 3);
        sent.insert(key + "|" + value);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("x-site", "demo", 4), RD_KAFKA_V_END);
        ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
    }
    ASSERT_EQ(rd_kafka_flush(p.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_EQ(delivered.ok, kMessages);
    EXPECT_EQ(delivered.failed, 0);

    rk_ptr consumer = make_client(RD_KAFKA_CONSUMER, {{"group.id", t::unique_name("it_group")},
                                                      {"auto.offset.reset", "earliest"},
                                                      {"enable.auto.commit", "false"},
                                                      {"isolation.level", "read_committed"}});
    rd_kafka_poll_set_consumer(consumer.get());
    rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, topic.c_str(), RD_KAFKA_PARTITION_UA);
    ASSERT_EQ(rd_kafka_subscribe(consumer.get(), subs), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(subs);

    std::multiset<std::string> got;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (got.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 500);
        if (m == nullptr) continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::string key(static_cast<const char*>(m->key), m->key_len);
            std::string value(static_cast<const char*>(m->payload), m->len);
            got.insert(key + "|" + value);
            rd_kafka_headers_t* hdrs = nullptr;
            const void* hv = nullptr;
            size_t hl = 0;
            ASSERT_EQ(rd_kafka_message_headers(m, &hdrs), RD_KAFKA_RESP_ERR_NO_ERROR);
            ASSERT_EQ(rd_kafka_header_get_last(hdrs, "x-site", &hv, &hl),
                      RD_KAFKA_RESP_ERR_NO_ERROR);
            EXPECT_EQ(std::string(static_cast<const char*>(hv), hl), "demo");
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer.get());
    EXPECT_EQ(got.size(), sent.size()) << "every message comes back exactly once";
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), sent);
    EXPECT_EQ(t::delete_topics(t::kafka_bootstrap(), {topic}), "");
}

TEST(stack, clickhouse_round_trip_over_http) {
    const std::string db = t::unique_name("it_db");
    clickhouse("CREATE DATABASE " + db);
    clickhouse(
        "CREATE TABLE t (id String, n UInt32, price Decimal(18, 4)) ENGINE = ReplacingMergeTree "
        "ORDER BY id",
        db);
    clickhouse(
        "INSERT INTO t FORMAT JSONEachRow\n"
        R"({"id":"a","n":1,"price":9.99})"
        "\n"
        R"({"id":"b","n":2,"price":0.0001})"
        "\n"
        R"({"id":"a","n":1,"price":9.99})"
        "\n",
        db);
    EXPECT_EQ(clickhouse("SELECT id, n, price FROM t FINAL ORDER BY id FORMAT TabSeparated", db),
              "a\t1\t9.9900\nb\t2\t0.0001\n");
    EXPECT_EQ(clickhouse("SELECT uniqExact(id), sum(n) FROM t FORMAT TabSeparated", db), "2\t4\n");
    clickhouse("DROP DATABASE " + db);
}

TEST(stack, clickhouse_migrations_made_the_tables) {
    auto tables = clickhouse(
        "SELECT name FROM system.tables WHERE database = 'clickstream' ORDER BY name FORMAT "
        "TabSeparated");
    EXPECT_NE(tables.find("events\n"), std::string::npos) << tables;
    EXPECT_NE(tables.find("sessions\n"), std::string::npos) << tables;
    EXPECT_NE(tables.find("schema_migrations\n"), std::string::npos) << tables;
    auto engines = clickhouse(
        "SELECT name, engine FROM system.tables WHERE database = 'clickstream' AND name IN "
        "('events', 'sessions') "
        "ORDER BY name FORMAT TabSeparated");
    EXPECT_EQ(engines, "events\tReplacingMergeTree\nsessions\tReplacingMergeTree\n");
}
