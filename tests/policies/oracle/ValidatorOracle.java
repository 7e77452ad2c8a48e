/*
 * Test oracle for the operator-* policies. Reads one JSON request per line on stdin:
 *   {"kind": "...", "resource": {...}, "cluster": {...} | null, "targetExists": true}
 * and answers one line: "OK" or "ERR <message>".
 *
 * The operator's own DefaultValidator (org.apache.flink:flink-kubernetes-operator:1.15.0) is not on Maven
 * Central, so this class follows DefaultValidator 1.15.0 method by method (same order, same branches), with every
 * primitive the validator delegates to taken from the real libraries at the versions the operator builds with:
 * Flink 1.20.1 Configuration/ConfigOptions (deprecated and fallback keys), CheckpointingOptions,
 * HighAvailabilityMode, MemorySize, JobManagerProcessUtils, TaskExecutorProcessUtils; fabric8 7.3.1 Quantity;
 * java.net.URI/URL/InetAddress; Quartz 2.4.0 CronCalendar/DailyCalendar (autoscaler excluded periods).
 *
 * Offline difference, the same as the policy pack's default: jarURI host names that are not IP literals or
 * "localhost" are not resolved with DNS (the plan runs offline); IP literals and localhost go through the real
 * InetAddress classification.
 */

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.HighAvailabilityMode;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.quartz.impl.calendar.CronCalendar;
import org.quartz.impl.calendar.DailyCalendar;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

public final class ValidatorOracle {

    private static final Pattern DEPLOYMENT_NAME_PATTERN = Pattern.compile("[a-z]([-a-z\\d]{0,43}[a-z\\d])?");
    private static final String[] FORBIDDEN_CONF_KEYS = {
        "kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id"
    };
    private static final Set<String> ALLOWED_LOG_CONF_KEYS = Set.of("log4j-console.properties", "logback-console.xml");
    private static final List<String> FLINK_VERSIONS = List.of(
            "v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
            "v2_0", "v2_1", "v2_2", "v2_3", "v2_4");
    private static final Set<String> UPGRADE_MODES = Set.of("savepoint", "last-state", "stateless");
    private static final Pattern URL_PROTOCOL_REGEX = Pattern.compile("^https?://", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME_PTN = Pattern.compile("\\{\\{name\\}\\}", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAMESPACE_PTN = Pattern.compile("\\{\\{namespace\\}\\}", Pattern.CASE_INSENSITIVE);
    private static final Pattern IP_LITERAL = Pattern.compile("^(\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9a-fA-F:.%]*\\])$");

    // KubernetesOperatorConfigOptions (1.15.0)
    private static final ConfigOption<Boolean> DEPLOYMENT_ROLLBACK_ENABLED =
            ConfigOptions.key("kubernetes.operator.deployment.rollback.enabled").booleanType().defaultValue(false);
    private static final ConfigOption<Boolean> OPERATOR_CLUSTER_HEALTH_CHECK_ENABLED =
            ConfigOptions.key("kubernetes.operator.cluster.health-check.enabled").booleanType().defaultValue(false);
    private static final ConfigOption<Boolean> OPERATOR_JM_DEPLOYMENT_RECOVERY_ENABLED =
            ConfigOptions.key("kubernetes.operator.jm-deployment-recovery.enabled").booleanType().defaultValue(true);
    private static final ConfigOption<String> PERIODIC_SAVEPOINT_INTERVAL =
            ConfigOptions.key("kubernetes.operator.periodic.savepoint.interval").stringType().defaultValue("");
    private static final ConfigOption<Duration> OPERATOR_JOB_UPGRADE_LAST_STATE_CHECKPOINT_MAX_AGE =
            ConfigOptions.key("kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age")
                    .durationType().noDefaultValue();
    private static final List<String> JAR_URI_ALLOWED_SCHEMES = List.of("https");
    private static final boolean JAR_URI_DISALLOW_RESTRICTED_HOSTS = true;

    // AutoScalerOptions (1.15.0)
    private static String old(String key) {
        return "kubernetes.operator.job.autoscaler." + key;
    }

    private static final ConfigOption<Boolean> AUTOSCALER_ENABLED = ConfigOptions.key("job.autoscaler.enabled")
            .booleanType().defaultValue(false).withFallbackKeys(old("enabled"));
    private static final ConfigOption<List<String>> EXCLUDED_PERIODS =
            ConfigOptions.key("job.autoscaler.excluded.periods").stringType().asList().defaultValues()
                    .withFallbackKeys(old("excluded.periods"));
    private static final ConfigOption<Double> UTILIZATION_TARGET =
            ConfigOptions.key("job.autoscaler.utilization.target").doubleType().defaultValue(0.7)
                    .withDeprecatedKeys("job.autoscaler.target.utilization")
                    .withFallbackKeys(old("utilization.target"), old("target.utilization"));
    private static final ConfigOption<Double> TARGET_UTILIZATION_BOUNDARY =
            ConfigOptions.key("job.autoscaler.target.utilization.boundary").doubleType().defaultValue(0.3)
                    .withFallbackKeys(old("target.utilization.boundary"));
    private static final ConfigOption<Double> UTILIZATION_MAX = ConfigOptions.key("job.autoscaler.utilization.max")
            .doubleType().noDefaultValue().withFallbackKeys(old("utilization.max"));
    private static final ConfigOption<Double> UTILIZATION_MIN = ConfigOptions.key("job.autoscaler.utilization.min")
            .doubleType().noDefaultValue().withFallbackKeys(old("utilization.min"));
    private static final ConfigOption<Double> MAX_SCALE_DOWN_FACTOR =
            ConfigOptions.key("job.autoscaler.scale-down.max-factor").doubleType().defaultValue(0.6)
                    .withFallbackKeys(old("scale-down.max-factor"));
    private static final ConfigOption<Double> MAX_SCALE_UP_FACTOR =
            ConfigOptions.key("job.autoscaler.scale-up.max-factor").doubleType().defaultValue(100000.)
                    .withFallbackKeys(old("scale-up.max-factor"));
    private static final ConfigOption<Double> OBSERVED_SCALABILITY_COEFFICIENT_MIN =
            ConfigOptions.key("job.autoscaler.observed-scalability.coefficient-min").doubleType().defaultValue(0.5)
                    .withFallbackKeys(old("observed-scalability.coefficient-min"));

    private ValidatorOracle() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            String error;
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> request = mapper.readValue(line, Map.class);
                error = validate(request);
            } catch (Exception e) {
                // The webhook rejects a request whose validation throws (or that cannot be deserialized).
                error = "exception: " + e;
            }
            out.println(error == null ? "OK" : "ERR " + error.replace('\n', ' ').replace('\r', ' '));
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : null;
    }

    private static Object at(Map<String, Object> m, String... path) {
        Object cur = m;
        for (String p : path) {
            Map<String, Object> mm = map(cur);
            if (mm == null) {
                return null;
            }
            cur = mm.get(p);
        }
        return cur;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static boolean blank(String s) {
        return s == null || s.trim().isEmpty();
    }

    private static String firstPresent(String... errors) {
        for (String e : errors) {
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** FlinkDeploymentSpec.flinkConfiguration.asFlatMap(): nested YAML keys joined with '.'. */
    private static void flatten(Map<String, Object> conf, String prefix, Map<String, String> out) {
        if (conf == null) {
            return;
        }
        for (Map.Entry<String, Object> e : conf.entrySet()) {
            String key = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Map) {
                flatten(map(v), key + ".", out);
            } else if (v instanceof List) {
                out.put(key, ((List<?>) v).stream().map(String::valueOf).collect(Collectors.joining(";")));
            } else if (v != null) {
                out.put(key, v.toString());
            }
        }
    }

    private static Map<String, String> flatConf(Map<String, Object> spec) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten(map(at(spec, "flinkConfiguration")), "", out);
        return out;
    }

    private static Integer integer(Object o, String what) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number) {
            double d = ((Number) o).doubleValue();
            if (d != Math.rint(d)) {
                throw new IllegalArgumentException(what + " is not an integer: " + o);
            }
            return (int) d;
        }
        return Integer.parseInt(o.toString());
    }

    private static boolean isCanary(Map<String, Object> resource) {
        Object v = at(resource, "metadata", "labels", "flink.apache.org/canary");
        return v != null && "true".equalsIgnoreCase(v.toString());
    }

    static String validate(Map<String, Object> request) throws Exception {
        String kind = str(request.get("kind"));
        Map<String, Object> resource = map(request.get("resource"));
        if (isCanary(resource)) {
            return null;
        }
        String name = str(at(resource, "metadata", "name"));
        String namespace = str(at(resource, "metadata", "namespace"));
        if (namespace == null) {
            namespace = "default"; // the API server sets it on every namespaced object it admits
        }
        Map<String, Object> spec = map(resource.get("spec"));
        switch (kind) {
            case "FlinkDeployment":
                return validateDeployment(name, namespace, spec);
            case "FlinkBlueGreenDeployment":
                // The blue/green controller creates <name>-blue and <name>-green from spec.template.
                Map<String, Object> child = map(at(spec, "template", "spec"));
                return firstPresent(validateDeployment(name + "-blue", namespace, child),
                        validateDeployment(name + "-green", namespace, child));
            case "FlinkSessionJob":
                return validateSessionJob(spec, map(request.get("cluster")));
            case "FlinkStateSnapshot":
                return validateStateSnapshot(spec, Boolean.TRUE.equals(request.get("targetExists")));
            default:
                throw new IllegalArgumentException("not a Flink kind: " + kind);
        }
    }

    // --- validateDeployment ---------------------------------------------------------------------------------------

    static String validateDeployment(String name, String namespace, Map<String, Object> spec) {
        if (spec == null) {
            spec = new HashMap<>();
        }
        Map<String, String> effectiveConfig = flatConf(spec);
        Map<String, Object> job = map(spec.get("job"));
        Map<String, Object> tm = map(spec.get("taskManager"));
        return firstPresent(
                validateDeploymentName(name),
                validateFlinkVersion(spec),
                validateFlinkDeploymentConfig(effectiveConfig),
                validateIngress(map(spec.get("ingress")), name, namespace),
                validateLogConfig(map(spec.get("logConfiguration"))),
                validateJobSpec(job, tm, effectiveConfig),
                validateJmSpec(map(spec.get("jobManager")), effectiveConfig),
                validateTmSpec(tm, effectiveConfig),
                // validateSpecChange: before the first deployment (no status), nothing to compare.
                validateServiceAccount(spec.get("serviceAccount")),
                validateAutoScalerFlinkConfiguration(effectiveConfig));
    }

    static String validateDeploymentName(String name) {
        if (name == null || !DEPLOYMENT_NAME_PATTERN.matcher(name).matches()) {
            return "The FlinkDeployment name: " + name + " is invalid";
        }
        return null;
    }

    static String validateFlinkVersion(Map<String, Object> spec) {
        Object version = spec.get("flinkVersion");
        if (version == null) {
            return "Flink Version must be defined.";
        }
        int i = FLINK_VERSIONS.indexOf(version.toString());
        if (i < 0) {
            return "cannot deserialize FlinkVersion " + version;
        }
        if (i < FLINK_VERSIONS.indexOf("v1_15")) { // FlinkVersion.isSupported
            return "Flink version " + version + " is not supported by this operator version";
        }
        return null;
    }

    static String validateFlinkDeploymentConfig(Map<String, String> confMap) {
        Configuration conf = Configuration.fromMap(confMap);
        for (String key : FORBIDDEN_CONF_KEYS) {
            if (conf.containsKey(key)) {
                return "Forbidden Flink config key: " + key;
            }
        }
        if (conf.get(DEPLOYMENT_ROLLBACK_ENABLED) && !HighAvailabilityMode.isHighAvailabilityModeActivated(conf)) {
            return "HA must be enabled for rollback support.";
        }
        if (conf.get(OPERATOR_CLUSTER_HEALTH_CHECK_ENABLED) && !conf.get(OPERATOR_JM_DEPLOYMENT_RECOVERY_ENABLED)) {
            return "Deployment recovery must be enabled for job health check support.";
        }
        return null;
    }

    static String validateIngress(Map<String, Object> ingress, String name, String namespace) {
        if (ingress == null) {
            return null;
        }
        Object template = ingress.get("template");
        if (template == null) {
            return "Ingress template must be defined";
        }
        String url = template.toString();
        if (!URL_PROTOCOL_REGEX.matcher(url).find()) {
            url = "http://" + url;
        }
        url = NAME_PTN.matcher(url).replaceAll(name);
        url = NAMESPACE_PTN.matcher(url).replaceAll(namespace);
        try {
            new URL(url);
        } catch (MalformedURLException e) {
            return "Unable to process the Ingress template(" + template + "). Error: " + e.getMessage();
        }
        return null;
    }

    static String validateLogConfig(Map<String, Object> confMap) {
        if (confMap == null) {
            return null;
        }
        for (String key : confMap.keySet()) {
            if (!ALLOWED_LOG_CONF_KEYS.contains(key)) {
                return "Invalid log config key: " + key;
            }
        }
        return null;
    }

    static String validateJobSpec(Map<String, Object> job, Map<String, Object> tm, Map<String, String> confMap) {
        if (job == null) {
            return null;
        }
        Configuration configuration = Configuration.fromMap(confMap);
        String mode = job.get("upgradeMode") == null ? "stateless" : job.get("upgradeMode").toString();
        if (!UPGRADE_MODES.contains(mode)) {
            return "cannot deserialize UpgradeMode " + mode;
        }
        if (!"stateless".equals(mode)) {
            if (blank(configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))) {
                return "Checkpoint directory must be defined for last-state and savepoint upgrade modes";
            }
        }
        if (blank(configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY))) {
            if ("savepoint".equals(mode)) {
                return "Job could not be upgraded with savepoint while config key is not set";
            } else if (job.get("savepointTriggerNonce") != null) {
                return "Savepoint could not be manually triggered while config key is not set";
            } else if (configuration.contains(PERIODIC_SAVEPOINT_INTERVAL)) {
                return "Periodic savepoints cannot be enabled when config key is not set";
            } else if (configuration.get(OPERATOR_JOB_UPGRADE_LAST_STATE_CHECKPOINT_MAX_AGE) != null) {
                return "In order to use max-checkpoint age functionality config key must be set";
            }
        }
        Integer tmReplicas = tm == null ? null : integer(tm.get("replicas"), "taskManager.replicas");
        Integer parallelism = integer(job.get("parallelism"), "job.parallelism");
        int p = parallelism == null ? 0 : parallelism;
        if (tmReplicas != null && tmReplicas < 1) {
            return "TaskManager replicas must be larger than 0";
        } else if (tmReplicas == null && p < 1) {
            return "Job parallelism must be larger than 0";
        }
        return null;
    }

    static String validateJmSpec(Map<String, Object> jm, Map<String, String> confMap) {
        Configuration conf = Configuration.fromMap(confMap);
        boolean memoryDefined = jm != null && map(jm.get("resource")) != null
                && !blank(str(at(jm, "resource", "memory")));
        String memoryValidation = null;
        if (!memoryDefined) {
            try {
                JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap(
                        conf, JobManagerOptions.JVM_HEAP_MEMORY);
            } catch (Exception e) {
                memoryValidation = "JobManager resource memory must be defined using `spec.jobManager.resource.memory`";
            }
        }
        if (jm == null) {
            return memoryValidation;
        }
        Integer replicas = integer(jm.get("replicas"), "jobManager.replicas");
        int r = replicas == null ? 1 : replicas;
        String replicaError = null;
        if (r < 1) {
            replicaError = "JobManager replicas should not be configured less than one.";
        } else if (r > 1 && !HighAvailabilityMode.isHighAvailabilityModeActivated(Configuration.fromMap(confMap))) {
            replicaError = "High availability should be enabled when starting standby JobManagers.";
        }
        return firstPresent(memoryValidation, validateResources("JobManager", map(jm.get("resource"))), replicaError);
    }

    static String validateTmSpec(Map<String, Object> tm, Map<String, String> confMap) {
        Configuration conf = Configuration.fromMap(confMap);
        boolean memoryDefined = tm != null && map(tm.get("resource")) != null
                && !blank(str(at(tm, "resource", "memory")));
        String memoryValidation = null;
        if (!memoryDefined) {
            try {
                TaskExecutorProcessUtils.processSpecFromConfig(conf);
            } catch (Exception e) {
                memoryValidation = "TaskManager resource memory must be defined using `spec.taskManager.resource.memory`";
            }
        }
        if (tm == null) {
            return memoryValidation;
        }
        Integer replicas = integer(tm.get("replicas"), "taskManager.replicas");
        String replicaError = replicas != null && replicas < 1
                ? "TaskManager replicas should not be configured less than one." : null;
        return firstPresent(memoryValidation, validateResources("TaskManager", map(tm.get("resource"))), replicaError);
    }

    /** FlinkConfigBuilder.parseResourceMemoryString (1.15.0). */
    static String parseResourceMemoryString(String memory) {
        try {
            return MemorySize.parse(memory).toString();
        } catch (IllegalArgumentException e) {
            String q = memory.trim().replaceAll("\\s", "").toUpperCase();
            if (q.endsWith("B")) {
                q = q.substring(0, q.length() - 1);
            }
            if (q.endsWith("I")) {
                q = q.substring(0, q.length() - 1) + "i";
            }
            return Quantity.parse(q).getNumericalAmount() + "";
        }
    }

    static String validateResources(String component, Map<String, Object> resource) {
        if (resource == null) {
            return null;
        }
        String memory = str(resource.get("memory"));
        String storage = str(resource.get("ephemeralStorage"));
        StringBuilder builder = new StringBuilder();
        if (memory != null) {
            try {
                MemorySize.parse(parseResourceMemoryString(memory));
            } catch (IllegalArgumentException iae) {
                builder.append(component + " resource memory parse error: " + iae.getMessage());
            }
        }
        if (storage != null) {
            try {
                Quantity.getAmountInBytes(Quantity.parse(storage));
            } catch (IllegalArgumentException iae) {
                builder.append(component + " resource ephemeral storage parse error: " + iae.getMessage());
            }
        }
        return blank(builder.toString()) ? null : builder.toString();
    }

    static String validateServiceAccount(Object serviceAccount) {
        return serviceAccount == null ? "spec.serviceAccount must be defined." : null;
    }

    // --- AutoscalerValidator --------------------------------------------------------------------------------------

    static String validateAutoScalerFlinkConfiguration(Map<String, String> effectiveConfig) {
        Configuration conf = Configuration.fromMap(effectiveConfig);
        if (!conf.get(AUTOSCALER_ENABLED)) {
            return null;
        }
        return firstPresent(
                validateNumber(conf, MAX_SCALE_DOWN_FACTOR, 0.0d, null),
                validateNumber(conf, MAX_SCALE_UP_FACTOR, 0.0d, null),
                validateNumber(conf, UTILIZATION_TARGET, 0.0d, 1.0d),
                validateNumber(conf, TARGET_UTILIZATION_BOUNDARY, 0.0d, null),
                validateNumber(conf, UTILIZATION_MAX, conf.get(UTILIZATION_TARGET), 1.0d),
                validateNumber(conf, UTILIZATION_MIN, 0.0d, conf.get(UTILIZATION_TARGET)),
                validateNumber(conf, OBSERVED_SCALABILITY_COEFFICIENT_MIN, 0.01d, 1d),
                validateExcludedPeriods(conf));
    }

    static String validateNumber(Configuration conf, ConfigOption<Double> option, Double min, Double max) {
        try {
            Double value = conf.get(option);
            if (value != null && ((min != null && value < min) || (max != null && value > max))) {
                return "The AutoScalerOption " + option.key() + " is invalid";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "Invalid value in the autoscaler config " + option.key();
        }
    }

    static String validateExcludedPeriods(Configuration conf) {
        for (String expression : conf.get(EXCLUDED_PERIODS)) {
            String[] subs = expression.split("&&");
            if (subs.length > 2) {
                return "Invalid value " + expression;
            }
            boolean anyDaily = false;
            boolean anyCron = false;
            for (String sub : subs) {
                sub = sub.strip();
                boolean daily = interpretAsDaily(sub);
                boolean cron = interpretAsCron(sub);
                anyDaily |= daily;
                anyCron |= cron;
                if (!daily && !cron) {
                    return "Invalid value " + expression + ": neither daily nor cron";
                }
            }
            if (subs.length == 2 && (!anyDaily || !anyCron)) {
                return "Invalid value " + expression + ": must be daily && cron";
            }
        }
        return null;
    }

    static boolean interpretAsDaily(String sub) {
        String[] splits = sub.split("-");
        if (splits.length != 2) {
            return false;
        }
        try {
            new DailyCalendar(splits[0], splits[1]).setInvertTimeRange(true);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static boolean interpretAsCron(String sub) {
        try {
            new CronCalendar(sub);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    // --- session jobs ---------------------------------------------------------------------------------------------

    static String validateSessionJob(Map<String, Object> spec, Map<String, Object> cluster) throws Exception {
        String only = firstPresent(
                validateDeploymentName(str(spec.get("deploymentName"))),
                spec.get("job") == null ? "The job spec should not be empty" : null,
                validateJarURI(map(spec.get("job"))));
        if (only != null || cluster == null) {
            return only;
        }
        Map<String, Object> clusterSpec = map(cluster.get("spec"));
        Map<String, String> effectiveConfig = flatConf(clusterSpec);
        effectiveConfig.putAll(flatConf(spec));
        return firstPresent(
                clusterSpec.get("job") != null ? "Can not submit session job to application cluster" : null,
                !str(at(cluster, "metadata", "name")).equals(str(spec.get("deploymentName")))
                        ? "The session job's cluster id is not match with the session cluster" : null,
                validateJobSpec(map(spec.get("job")), null, effectiveConfig),
                validateAutoScalerFlinkConfiguration(effectiveConfig));
    }

    static String validateJarURI(Map<String, Object> job) throws Exception {
        if (job == null || job.get("jarURI") == null) {
            return null;
        }
        String jarURI = job.get("jarURI").toString();
        URI uri;
        try {
            uri = new URI(jarURI);
        } catch (URISyntaxException e) {
            return "jarURI is not a valid URI: " + e.getMessage();
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            return "jarURI must include a scheme";
        }
        Set<String> allowed = JAR_URI_ALLOWED_SCHEMES.stream().map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        if (!allowed.contains(scheme.toLowerCase(Locale.ROOT))) {
            return "jarURI scheme '" + scheme + "' is not in the allowlist " + allowed;
        }
        if (("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && JAR_URI_DISALLOW_RESTRICTED_HOSTS) {
            String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                return "jarURI must include a host for http/https schemes";
            }
            if (!IP_LITERAL.matcher(host).matches() && !"localhost".equalsIgnoreCase(host)) {
                return null; // offline: host names are not resolved (see the class comment)
            }
            InetAddress addr = InetAddress.getByName(host);
            if (addr.isLoopbackAddress() || addr.isLinkLocalAddress() || addr.isSiteLocalAddress()
                    || addr.isAnyLocalAddress() || addr.isMulticastAddress()) {
                return "jarURI host '" + host + "' resolves to a restricted address";
            }
        }
        return null;
    }

    // --- snapshots ------------------------------------------------------------------------------------------------

    static String validateStateSnapshot(Map<String, Object> spec, boolean targetExists) {
        boolean savepoint = spec != null && spec.get("savepoint") != null;
        boolean checkpoint = spec != null && spec.get("checkpoint") != null;
        if (savepoint == checkpoint) {
            return "Exactly one of checkpoint or savepoint configurations has to be set.";
        }
        if (savepoint && Boolean.TRUE.equals(at(spec, "savepoint", "alreadyExists"))) {
            return null;
        }
        if (spec.get("jobReference") == null) {
            return "Job reference must be supplied for this snapshot";
        }
        if (!targetExists) {
            return "Target for snapshot was not found";
        }
        return null;
    }
}
