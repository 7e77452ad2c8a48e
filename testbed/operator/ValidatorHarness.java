import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.kubernetes.operator.api.AbstractFlinkResource;
import org.apache.flink.kubernetes.operator.api.FlinkBlueGreenDeployment;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.FlinkSessionJob;
import org.apache.flink.kubernetes.operator.api.FlinkStateSnapshot;
import org.apache.flink.kubernetes.operator.api.bluegreen.BlueGreenDeploymentType;
import org.apache.flink.kubernetes.operator.config.FlinkConfigManager;
import org.apache.flink.kubernetes.operator.controller.bluegreen.BlueGreenContext;
import org.apache.flink.kubernetes.operator.health.CanaryResourceManager;
import org.apache.flink.kubernetes.operator.utils.bluegreen.BlueGreenUtils;
import org.apache.flink.kubernetes.operator.validation.DefaultValidator;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's own {@link DefaultValidator} behind a line protocol (the project's test harness, not upstream code).
 *
 * <p>Usage: {@code ValidatorHarness <default config dir>}. Each operator config is a directory holding a
 * {@code config.yaml}, loaded with {@link GlobalConfiguration#loadConfiguration(String)} as the operator loads
 * {@code $FLINK_CONF_DIR}, and gets its own {@code FlinkConfigManager} and {@code DefaultValidator}. After
 * {@code READY}, one JSON request per stdin line, one answer per stdout line, in order:
 *
 * <ul>
 *   <li>{@code {"op": "config", "name": N, "dir": D}}: load the operator config in D under the name N;
 *   <li>{@code {"kind": K, "resource": R, "session": S?, "targetExists": B?, "config": N?}}: validate R as the
 *       webhook does ({@code FlinkValidator}: canary resources skipped, the resource converted by a plain Jackson
 *       {@code ObjectMapper}); a FlinkSessionJob with its session cluster S when given; a FlinkStateSnapshot with
 *       or without a target; a FlinkBlueGreenDeployment as the two child FlinkDeployments the operator's
 *       {@code BlueGreenUtils.prepareFlinkDeployment} makes of it (blue first).
 * </ul>
 *
 * <p>Answers: {@code OK}, {@code ERR <message>} (the validator's error), {@code EXC <class: message>} (an exception
 * in the operator's code, or a request it could not read). Backslashes and line breaks in the text are escaped
 * ({@code \\}, {@code \n}, {@code \r}). Logs go to stderr; stdout carries only answers.
 */
public final class ValidatorHarness {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, DefaultValidator> validators = new HashMap<>();

    private static DefaultValidator load(String dir) {
        Configuration conf = GlobalConfiguration.loadConfiguration(dir);
        return new DefaultValidator(new FlinkConfigManager(conf));
    }

    private String handle(String line) throws Exception {
        JsonNode request = MAPPER.readTree(line);
        if ("config".equals(request.path("op").asText())) {
            validators.put(request.path("name").asText(), load(request.path("dir").asText()));
            return "OK";
        }
        String name = request.path("config").asText("");
        DefaultValidator validator = validators.get(name);
        if (validator == null) {
            throw new IllegalArgumentException("no operator config named '" + name + "' was added");
        }
        JsonNode resource = request.get("resource");
        String kind = request.path("kind").asText();
        Optional<String> error;
        switch (kind) {
            case "FlinkDeployment": {
                FlinkDeployment deployment = MAPPER.convertValue(resource, FlinkDeployment.class);
                error = CanaryResourceManager.isCanaryResource(deployment)
                        ? Optional.empty() : validator.validateDeployment(deployment);
                break;
            }
            case "FlinkSessionJob": {
                FlinkSessionJob job = MAPPER.convertValue(resource, FlinkSessionJob.class);
                JsonNode session = request.get("session");
                Optional<FlinkDeployment> cluster = session == null || session.isNull()
                        ? Optional.empty() : Optional.of(MAPPER.convertValue(session, FlinkDeployment.class));
                error = CanaryResourceManager.isCanaryResource(job)
                        ? Optional.empty() : validator.validateSessionJob(job, cluster);
                break;
            }
            case "FlinkStateSnapshot": {
                FlinkStateSnapshot snapshot = MAPPER.convertValue(resource, FlinkStateSnapshot.class);
                Optional<AbstractFlinkResource<?, ?>> target = request.path("targetExists").asBoolean(true)
                        ? Optional.of(new FlinkDeployment()) : Optional.empty();
                error = validator.validateStateSnapshot(snapshot, target);
                break;
            }
            case "FlinkBlueGreenDeployment": {
                FlinkBlueGreenDeployment bg = MAPPER.convertValue(resource, FlinkBlueGreenDeployment.class);
                error = Optional.empty();
                for (BlueGreenDeploymentType type
                        : new BlueGreenDeploymentType[] {BlueGreenDeploymentType.BLUE, BlueGreenDeploymentType.GREEN}) {
                    BlueGreenContext context = new BlueGreenContext(bg, bg.getStatus(), null, null, null);
                    FlinkDeployment child =
                            BlueGreenUtils.prepareFlinkDeployment(context, type, null, true, bg.getMetadata());
                    error = validator.validateDeployment(child);
                    if (error.isPresent()) {
                        break;
                    }
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown kind '" + kind + "'");
        }
        return error.map(e -> "ERR " + escape(e)).orElse("OK");
    }

    private static String describe(Throwable t) {
        StringBuilder text = new StringBuilder(t.toString());
        for (Throwable cause = t.getCause(); cause != null && cause != t; cause = cause.getCause()) {
            text.append(" | caused by ").append(cause);
        }
        return text.toString();
    }

    static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }

    public static void main(String[] args) throws Exception {
        // Answers only on stdout: whatever else writes to System.out (a library's println) goes to stderr.
        PrintStream answers = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        ValidatorHarness harness = new ValidatorHarness();
        harness.validators.put("", load(args[0]));
        answers.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String answer;
            try {
                answer = harness.handle(line);
            } catch (Throwable t) {
                answer = "EXC " + escape(describe(t));
            }
            answers.println(answer);
        }
    }
}
