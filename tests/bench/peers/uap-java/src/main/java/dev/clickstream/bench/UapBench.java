package dev.clickstream.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ua_parser.Client;
import ua_parser.Parser;

/**
 * uap-java on a list of user agents, as its README shows (new Parser(),
 * parse per user agent). Prints "browser\tos\tdevice" a line, then
 * "timing\t<CPU seconds of the second pass>".
 */
public final class UapBench {
    public static void main(String[] args) throws Exception {
        List<String> list = Files.readAllLines(Path.of(args[0]));
        list.removeIf(String::isEmpty);
        Parser parser = new Parser();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Client[] parsed = new Client[list.size()];
        long t0 = 0;
        for (int pass = 0; pass < 2; pass++) {  // the second pass is timed: the first warms the JIT
            t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < parsed.length; i++) parsed[i] = parser.parse(list.get(i));
        }
        long t1 = threads.getCurrentThreadCpuTime();
        StringBuilder out = new StringBuilder();
        for (Client c : parsed) {
            out.append(c.userAgent.family).append('\t').append(c.os.family).append('\t').append(c.device.family).append('\n');
        }
        out.append("timing\t").append((t1 - t0) / 1e9).append('\n');
        System.out.print(out);
    }
}
