package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.app.Service;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expiry deletes what is due and nothing else; concurrent predictions are batched together. */
class ServiceSweepAndBatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void expiredSamplesAreDeletedAndAuditedAndConcurrentPredictionsShareBatches() throws Exception {
        ImageDataset train = FashionImages.data().train();
        Service.Limits d = Service.Limits.DEFAULT;
        CilServer.Options o = CilServer.Options.of(home, 0);
        o = new CilServer.Options(
                o.home(),
                0,
                "127.0.0.1",
                null,
                0,
                new Service.Limits(d.maxImageBytes(), d.maxImagesPerRequest(), d.maxPixels(), 64, 50, d.sweepSeconds()),
                o.maxRequestBytes());
        try (CilServer s = CilServer.start(o)) {
            CilClient c = new CilClient(
                    "http://127.0.0.1:" + s.port(), s.firstAdminToken().orElseThrow());
            c.createClassifier(JSON.createObjectNode().put("name", "sw").put("method", "finetune"));
            String soon = Instant.now().plusSeconds(2).toString();
            String later = Instant.now().plusSeconds(3600).toString();
            List<CilClient.Sample> batch = new ArrayList<>();
            for (int label : new int[] {7, 8}) {
                List<byte[]> imgs = FashionImages.png(train, label, 0, 60);
                for (int i = 0; i < imgs.size(); i++) {
                    batch.add(new CilClient.Sample(
                            train.classNames().get(label), imgs.get(i), null, i < 10 ? soon : later));
                }
            }
            c.upload("sw", batch);
            Thread.sleep(2500);
            assertEquals(20, s.service().expire(), "the 10 of each class due are deleted");
            assertEquals(0, s.service().expire(), "and nothing else");
            JsonNode audit = c.audit(5).path("entries").get(0);
            assertEquals("expire", audit.path("action").asText());
            assertEquals(20, audit.path("count").asInt());
            for (JsonNode cl : c.storage("sw").path("classes")) {
                assertEquals(50, cl.path("pendingSamples").asInt());
            }

            assertEquals(
                    "done",
                    c.awaitJob(c.startPhase("sw").path("id").asText(), Duration.ofMinutes(3))
                            .path("state")
                            .asText());
            byte[] img = FashionImages.png(FashionImages.data().test(), 0);
            long[] before = s.service().predictCounts();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                answers.add(pool.submit(() -> c.predict("sw", List.of(img), 1)));
            }
            for (Future<JsonNode> f : answers) {
                assertEquals(1, f.get().path("version").asInt());
            }
            pool.shutdown();
            long[] after = s.service().predictCounts();
            assertEquals(32, after[1] - before[1]);
            assertTrue(
                    after[0] - before[0] < 32, "32 concurrent requests ran in " + (after[0] - before[0]) + " batches");
        }
    }
}
