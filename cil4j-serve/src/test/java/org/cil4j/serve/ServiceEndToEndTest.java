package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.client.CilClient;
import org.cil4j.serve.store.ScratchDatabase;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The service as a client meets it, on real Fashion-MNIST images over HTTP: two phases of a
 * LUCIR classifier under a storage budget, predictions from the active version while a phase
 * trains, the budget kept, an erasure with its receipt and audit entry, a forgotten class, a
 * rollback, bad input refused with the field named, and everything still there after a restart;
 * on SQLite and on PostgreSQL.
 */
class ServiceEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PER_CLASS = 200;

    @TempDir
    Path home;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void learnsTwoPhasesKeepsTheBudgetErasesAndRollsBack(String db) throws Exception {
        ScratchDatabase scratch = TestDatabases.open(db);
        try {
            run(TestDatabases.url(scratch));
        } finally {
            TestDatabases.drop(scratch);
        }
    }

    private void run(String url) throws Exception {
        ImageDataset train = FashionImages.data().train();
        ImageDataset test = FashionImages.data().test();
        long budget = 300L * 28 * 28; // 300 samples of 28x28x1
        String token;
        try (CilServer server = CilServer.start(CilServer.Options.of(home, 0).withDb(url))) {
            token = server.firstAdminToken().orElseThrow();
            CilClient c = new CilClient("http://127.0.0.1:" + server.port(), token);
            ObjectNode spec = JSON.createObjectNode();
            spec.put("name", "fashion");
            spec.put("preset", "fmnist");
            spec.putObject("method").put("name", "lucir");
            // small batches: two classes of 180 images need enough steps for LUCIR to learn the new ones
            spec.putObject("train").put("epochs", 4).put("batchSize", 32).put("lr", 0.02);
            spec.put("storageBudgetBytes", budget);
            spec.putObject("gate").put("maxOldAccuracyDrop", 100);
            c.createClassifier(spec);

            // phase 1: T-shirt and Trouser
            upload(c, train, new int[] {0, 1});
            JsonNode j1 = c.awaitJob(c.startPhase("fashion").path("id").asText(), Duration.ofMinutes(5));
            assertEquals("done", j1.path("state").asText(), j1.toString());
            assertEquals(1, j1.path("version").asInt());
            double acc2 = accuracy(c, test, new int[] {0, 1}, 1);
            assertTrue(acc2 > 80, "version 1 tells T-shirts from trousers: " + acc2 + "% " + c.versions("fashion"));

            // phase 2: Pullover and Dress, while predictions keep coming from version 1
            upload(c, train, new int[] {2, 3});
            String job2 = c.startPhase("fashion").path("id").asText();
            JsonNode during = c.predict("fashion", FashionImages.png(test, 0, 0, 2), 1);
            assertEquals(1, during.path("version").asInt(), "the active version answers while a phase trains");
            JsonNode j2 = c.awaitJob(job2, Duration.ofMinutes(5));
            assertEquals("done", j2.path("state").asText(), j2.toString());
            JsonNode v2 = c.versions("fashion").path("versions").get(1);
            assertTrue(v2.path("active").asBoolean(), v2.toString());
            assertEquals(4, v2.path("classes").asInt());
            double acc4 = accuracy(c, test, new int[] {0, 1, 2, 3}, 2);
            assertTrue(acc4 > 55, "four classes after two phases: " + acc4 + "% " + v2);

            // storage: every pending upload was learned, what is kept fits the budget
            JsonNode st = c.storage("fashion");
            assertTrue(st.path("withinBudget").asBoolean(), st.toString());
            assertTrue(st.path("keptBytes").asLong() <= budget);
            for (JsonNode cl : st.path("classes")) {
                assertEquals(0, cl.path("pendingSamples").asInt());
                assertTrue(cl.path("keptSamples").asInt() > 0, "the method keeps exemplars of " + cl);
            }

            // erasure by source: a receipt, an audit entry, idempotent
            JsonNode receipt = c.erase("fashion", "user-3");
            assertTrue(receipt.path("deleted").asInt() > 0, receipt.toString());
            assertFalse(receipt.path("trainedVersions").isEmpty(), receipt.toString());
            assertEquals(0, c.erase("fashion", "user-3").path("deleted").asInt());
            JsonNode audit = c.audit(50).path("entries");
            assertTrue(contains(audit, "erase-source"), audit.toString());
            assertTrue(contains(audit, "phase-cleanup"), audit.toString());

            // forget Trouser: it never comes back in predictions
            c.forgetClass("fashion", "Trouser");
            for (JsonNode p :
                    c.predict("fashion", FashionImages.png(test, 1, 0, 20), 3).path("predictions")) {
                for (JsonNode t : p.path("top")) {
                    assertFalse(t.path("class").asText().equals("Trouser"), p.toString());
                }
            }

            // rollback to version 1
            c.activate("fashion", 1);
            assertEquals(
                    1,
                    c.predict("fashion", FashionImages.png(test, 0, 0, 1), 1)
                            .path("version")
                            .asInt());

            // bad input names what was wrong
            CilClient.ApiError e = assertThrows(
                    CilClient.ApiError.class,
                    () -> c.upload(
                            "fashion", List.of(new CilClient.Sample("Bag", FashionImages.bomb(100_000, 100_000)))));
            assertEquals(400, e.status());
            assertEquals("samples[0].image", e.field());
            e = assertThrows(
                    CilClient.ApiError.class,
                    () -> c.upload(
                            "fashion",
                            List.of(new CilClient.Sample("Bag", "not an image".getBytes(StandardCharsets.UTF_8)))));
            assertEquals("samples[0].image", e.field());
            e = assertThrows(
                    CilClient.ApiError.class,
                    () -> c.upload("nope", List.of(new CilClient.Sample("Bag", FashionImages.png(test, 0)))));
            assertEquals(404, e.status());
            HttpResponse<String> r = raw(server.port(), token, "POST", "/v1/classifiers", "{not json");
            assertEquals(400, r.statusCode());
            assertEquals(
                    "body", JSON.readTree(r.body()).path("error").path("field").asText());
            assertEquals(
                    401,
                    raw(server.port(), null, "GET", "/v1/classifiers", null).statusCode());
            String predictOnly = new CilClient("http://127.0.0.1:" + server.port(), token)
                    .send(
                            "POST",
                            "/v1/tokens",
                            JSON.createObjectNode().put("name", "app").put("scope", "predict"))
                    .path("token")
                    .asText();
            assertEquals(
                    403,
                    raw(server.port(), predictOnly, "DELETE", "/v1/classifiers/fashion/samples?source=x", null)
                            .statusCode());
            JsonNode listed = c.send("GET", "/v1/tokens", null).path("tokens");
            assertEquals(2, listed.size());
            assertFalse(listed.toString().contains(predictOnly), "a token list never shows a secret");
            String appId = listed.get(1).path("id").asText();
            c.send("DELETE", "/v1/tokens/" + appId, null);
            assertEquals(
                    401,
                    raw(server.port(), predictOnly, "GET", "/v1/classifiers", null)
                            .statusCode(),
                    "a revoked token is refused");
            e = assertThrows(
                    CilClient.ApiError.class,
                    () -> c.send(
                            "DELETE", "/v1/tokens/" + listed.get(0).path("id").asText(), null));
            assertEquals(409, e.status(), "the last admin token stays");
            assertEquals(200, raw(server.port(), null, "GET", "/health", null).statusCode());
            String metrics = raw(server.port(), token, "GET", "/metrics", null).body();
            assertTrue(
                    metrics.contains("cil_http_requests_seconds_count"),
                    metrics.substring(0, Math.min(500, metrics.length())));
            assertTrue(metrics.contains("cil_storage_budget_bytes"));
            assertEquals(
                    c.storage("fashion").path("keptBytes").asDouble(),
                    gauge(metrics, "cil_storage_kept_bytes"),
                    "/metrics counts the kept bytes the storage report shows");
            assertTrue(
                    gauge(metrics, "cil_predict_stage_seconds_count{stage=\"forward\"}") >= 1,
                    "forward passes are timed");
        }
        // a restart finds everything
        try (CilServer server = CilServer.start(CilServer.Options.of(home, 0).withDb(url))) {
            assertTrue(server.firstAdminToken().isEmpty(), "the admin token is made once");
            CilClient c = new CilClient("http://127.0.0.1:" + server.port(), token);
            assertEquals(2, c.versions("fashion").path("versions").size());
            assertEquals(
                    1,
                    c.predict("fashion", FashionImages.png(test, 0, 0, 1), 1)
                            .path("version")
                            .asInt());
        }
    }

    /** Uploads each class in its own request, every sample from one of ten users. */
    private static void upload(CilClient c, ImageDataset d, int[] labels) {
        for (int label : labels) {
            List<CilClient.Sample> out = new ArrayList<>();
            List<byte[]> imgs = FashionImages.png(d, label, 0, PER_CLASS);
            for (int i = 0; i < imgs.size(); i++) {
                out.add(new CilClient.Sample(d.classNames().get(label), imgs.get(i), "user-" + (i % 10), null));
            }
            c.upload("fashion", out);
        }
    }

    private static double accuracy(CilClient c, ImageDataset test, int[] labels, int version) {
        int hit = 0;
        int n = 0;
        for (int label : labels) {
            List<byte[]> imgs = FashionImages.png(test, label, 0, 50);
            JsonNode r = c.predict("fashion", imgs, 1);
            assertEquals(version, r.path("version").asInt());
            for (JsonNode p : r.path("predictions")) {
                n++;
                if (p.path("top")
                        .get(0)
                        .path("class")
                        .asText()
                        .equals(test.classNames().get(label))) {
                    hit++;
                }
            }
        }
        return 100.0 * hit / n;
    }

    private static boolean contains(JsonNode entries, String action) {
        Set<String> seen = new HashSet<>();
        entries.forEach(e -> seen.add(e.path("action").asText()));
        return seen.contains(action);
    }

    private static HttpResponse<String> raw(int port, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return the value of the first sample line of a Prometheus text that starts with {@code name} */
    private static double gauge(String metrics, String name) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + " ") || (l.startsWith(name + "{") && !name.contains("{")))
                .findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("no " + name + " in /metrics"));
    }
}
