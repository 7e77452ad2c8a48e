/*
 * Test oracle for components/operator/pod_template.py: the operator's own FlinkUtils.mergePodTemplates (from the
 * operator jar testbed.operator.build builds from ../shared). Reads one JSON request per line on stdin,
 *   {"to": <PodTemplateSpec or null>, "from": <PodTemplateSpec or null>, "byName": true|false}
 * and answers one line: the merged PodTemplateSpec as fabric8 serializes it, "null", or "ERR <message>".
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import org.apache.flink.kubernetes.operator.utils.FlinkUtils;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

public final class MergeOracle {
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            try {
                JsonNode req = mapper.readTree(line);
                PodTemplateSpec to = read(mapper, req.get("to"));
                PodTemplateSpec from = read(mapper, req.get("from"));
                PodTemplateSpec merged = FlinkUtils.mergePodTemplates(to, from, req.get("byName").asBoolean());
                System.out.println(merged == null ? "null" : mapper.writeValueAsString(merged));
            } catch (Exception e) {
                System.out.println("ERR " + String.valueOf(e).replace('\n', ' '));
            }
            System.out.flush();
        }
    }

    private static PodTemplateSpec read(ObjectMapper mapper, JsonNode node) throws Exception {
        return node == null || node.isNull() ? null : mapper.treeToValue(node, PodTemplateSpec.class);
    }
}
