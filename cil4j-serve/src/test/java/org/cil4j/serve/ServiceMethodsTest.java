package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.app.ClassifierSpec;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method the service offers runs two phases through it: the second phase loads the first
 * one's method state with the memory renumbered to the samples the database keeps, rehearsal
 * methods keep exemplars of every class within the byte budget, the others keep none.
 */
class ServiceMethodsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CilServer server;
    private static CilClient client;

    @TempDir
    static Path home;

    @BeforeAll
    static void start() {
        server = CilServer.start(CilServer.Options.of(home, 0));
        client = new CilClient(
                "http://127.0.0.1:" + server.port(), server.firstAdminToken().orElseThrow());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static List<String> methods() {
        return ClassifierSpec.METHODS;
    }

    @ParameterizedTest
    @MethodSource("methods")
    void twoPhasesKeepWhatTheMethodNeedsWithinTheBudget(String method) throws Exception {
        ImageDataset train = FashionImages.data().train();
        long budget = 40L * 28 * 28;
        ObjectNode spec = JSON.createObjectNode().put("name", method).put("storageBudgetBytes", budget);
        spec.putObject("method").put("name", method);
        spec.putObject("train").put("epochs", 1).put("batchSize", 32);
        spec.putObject("gate").put("maxOldAccuracyDrop", 100);
        client.createClassifier(spec);
        for (int[] phase : new int[][] {{0, 1}, {2, 3}}) {
            for (int label : phase) {
                List<CilClient.Sample> s = new ArrayList<>();
                for (byte[] b : FashionImages.png(train, label, 0, 40)) {
                    s.add(new CilClient.Sample(train.classNames().get(label), b));
                }
                client.upload(method, s);
            }
            JsonNode job = client.awaitJob(client.startPhase(method).path("id").asText(), Duration.ofMinutes(3));
            assertEquals("done", job.path("state").asText(), method + ": " + job);
        }
        assertEquals(2, client.versions(method).path("versions").size());
        JsonNode st = client.storage(method);
        assertTrue(st.path("withinBudget").asBoolean(), method + ": " + st);
        boolean rehearsal = ClassifierSpec.REHEARSAL.contains(method);
        for (JsonNode c : st.path("classes")) {
            assertEquals(0, c.path("pendingSamples").asInt(), method + ": " + c);
            assertEquals(rehearsal, c.path("keptSamples").asInt() > 0, method + " keeps exemplars: " + c);
        }
    }
}
