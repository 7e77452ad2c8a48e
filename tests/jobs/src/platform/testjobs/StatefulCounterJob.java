package platform.testjobs;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Test job for savepoint-aware upgrades: a never-ending, rate-limited generator over K keys, a per-key counter in
 * ValueState, and a sink that appends "version subtask key count" lines to one file per job/subtask/attempt.
 *
 * <p>Arguments: --out DIR (required), --version STR (default: the compile-time BuildInfo.VERSION), --keys N
 * (default 4), --rate R records/s in total (default 40), --fail-in-open true (the counter throws when it starts,
 * a job that fails at runtime). A build with BuildInfo.BROKEN throws in main(), i.e. fails at submission.
 * Every operator has a fixed uid so savepoints of any build restore into any other.
 */
public final class StatefulCounterJob {

    private StatefulCounterJob() {}

    public static void main(String[] args) throws Exception {
        if (BuildInfo.BROKEN) {
            throw new IllegalStateException("StatefulCounterJob build '" + BuildInfo.VERSION
                    + "' is broken on purpose: main() refuses to build a job graph");
        }
        String out = arg(args, "--out", null);
        if (out == null) {
            throw new IllegalArgumentException("missing --out DIR");
        }
        String version = arg(args, "--version", BuildInfo.VERSION);
        final int keys = Integer.parseInt(arg(args, "--keys", "4"));
        double rate = Double.parseDouble(arg(args, "--rate", "40"));
        boolean failInOpen = Boolean.parseBoolean(arg(args, "--fail-in-open", "false"));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        GeneratorFunction<Long, String> keyOf = index -> "k" + (index % keys);
        DataGeneratorSource<String> source = new DataGeneratorSource<>(
                keyOf, Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.STRING);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "generator").uid("generator")
                .keyBy(key -> key)
                .process(new Counter(failInOpen)).uid("counter").name("counter")
                .sinkTo(new LineFileSink(out, version)).uid("sink").name("sink");
        env.execute("stateful-counter");
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    /** Counts records per key in ValueState and emits "key count". */
    static final class Counter extends KeyedProcessFunction<String, String, String> {
        private final boolean failInOpen;
        private transient ValueState<Long> count;

        Counter(boolean failInOpen) {
            this.failInOpen = failInOpen;
        }

        @Override
        public void open(OpenContext context) {
            if (failInOpen) {
                throw new IllegalStateException("counter asked to fail in open() (--fail-in-open true)");
            }
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(String key, Context ctx, Collector<String> out) throws Exception {
            Long previous = count.value();
            long next = previous == null ? 1L : previous + 1L;
            count.update(next);
            out.collect(key + " " + next);
        }
    }

    /** Appends "version subtask key count" per record, flushed per record, one file per job/subtask/attempt. */
    static final class LineFileSink implements Sink<String> {
        private final String dir;
        private final String version;

        LineFileSink(String dir, String version) {
            this.dir = dir;
            this.version = version;
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            int subtask = context.getTaskInfo().getIndexOfThisSubtask();
            int attempt = context.getTaskInfo().getAttemptNumber();
            String job = context.getJobInfo().getJobId().toString();
            File file = new File(dir, BuildInfo.VERSION + "-" + job + "-" + subtask + "-" + attempt + ".txt");
            file.getParentFile().mkdirs();
            FileOutputStream stream = new FileOutputStream(file, true);
            String prefix = version + " " + subtask + " ";
            return new SinkWriter<String>() {
                @Override
                public void write(String line, Context ctx) throws IOException {
                    stream.write((prefix + line + "\n").getBytes(StandardCharsets.UTF_8));
                    stream.flush();
                }

                @Override
                public void flush(boolean endOfInput) throws IOException {
                    stream.flush();
                }

                @Override
                public void close() throws IOException {
                    stream.close();
                }
            };
        }
    }
}
