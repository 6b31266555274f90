package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk-through over HTTP on Fashion-MNIST, five phases of two classes, for a LUCIR classifier
 * and a fine-tuning one served side by side from the same uploads: after phase 5 LUCIR's active
 * version keeps the first eight classes far better than fine-tuning's. Then an erasure: the
 * rows and the files of the source are gone and the storage report agrees with the files left.
 */
class ServiceWalkthroughTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void lucirKeepsOldClassesFarBetterThanFineTuningOverFivePhases() throws Exception {
        ImageDataset train = FashionImages.data().train();
        ImageDataset test = FashionImages.data().test();
        try (CilServer server = CilServer.start(CilServer.Options.of(home, 0))) {
            CilClient c = new CilClient(
                    "http://127.0.0.1:" + server.port(),
                    server.firstAdminToken().orElseThrow());
            for (String method : new String[] {"lucir", "finetune"}) {
                ObjectNode spec = JSON.createObjectNode().put("name", method).put("storageBudgetBytes", 400L * 28 * 28);
                spec.putObject("method").put("name", method);
                spec.putObject("train").put("epochs", 3).put("batchSize", 32).put("lr", 0.02);
                spec.putObject("gate").put("maxOldAccuracyDrop", 100);
                c.createClassifier(spec);
            }
            for (int phase = 0; phase < 5; phase++) {
                for (String method : new String[] {"lucir", "finetune"}) {
                    for (int label = 2 * phase; label < 2 * phase + 2; label++) {
                        List<CilClient.Sample> s = new ArrayList<>();
                        List<byte[]> imgs = FashionImages.png(train, label, 0, 150);
                        for (int i = 0; i < imgs.size(); i++) {
                            s.add(new CilClient.Sample(
                                    train.classNames().get(label), imgs.get(i), "user-" + (i % 10), null));
                        }
                        c.upload(method, s);
                    }
                    JsonNode job = c.awaitJob(c.startPhase(method).path("id").asText(), Duration.ofMinutes(5));
                    assertEquals("done", job.path("state").asText(), method + ": " + job);
                }
            }
            double lucirOld = accuracy(c, "lucir", test, 8);
            double finetuneOld = accuracy(c, "finetune", test, 8);
            System.out.printf(
                    "after phase 5, first eight classes: LUCIR %.1f%%, fine-tuning %.1f%%%n", lucirOld, finetuneOld);
            assertTrue(
                    lucirOld > finetuneOld + 25,
                    "after phase 5, on the first eight classes: LUCIR " + lucirOld + "%, fine-tuning " + finetuneOld
                            + "%");

            // erasure: rows and files gone, the storage report agrees with the files left
            int before = totalSamples(c);
            JsonNode receipt = c.erase("lucir", "user-4");
            assertTrue(receipt.path("deleted").asInt() > 0, receipt.toString());
            assertEquals(before - receipt.path("deleted").asInt(), totalSamples(c));
            assertEquals(
                    0,
                    query(
                            home,
                            "SELECT COUNT(*) FROM samples WHERE source_id = 'user-4' AND classifier_id IN "
                                    + "(SELECT id FROM classifiers WHERE name = 'lucir')"),
                    "no row of the source is left");
            assertEquals(
                    (long) totalSamples(c),
                    query(home, "SELECT COUNT(*) FROM samples"),
                    "the storage report counts the rows");
            assertEquals(
                    query(home, "SELECT COUNT(DISTINCT blob) FROM samples"),
                    files(home.resolve("blobs")),
                    "a file for each stored image and none for the erased ones");
        }
    }

    /** Samples stored for both classifiers, by the storage reports. */
    private static int totalSamples(CilClient c) {
        int n = 0;
        for (String m : new String[] {"lucir", "finetune"}) {
            for (JsonNode cl : c.storage(m).path("classes")) {
                n += cl.path("keptSamples").asInt()
                        + cl.path("validationSamples").asInt()
                        + cl.path("pendingSamples").asInt();
            }
        }
        return n;
    }

    private static long query(Path home, String sql) throws Exception {
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cil.db"));
                java.sql.Statement st = db.createStatement();
                java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long files(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    private static double accuracy(CilClient c, String name, ImageDataset test, int classes) {
        int hit = 0;
        int n = 0;
        for (int label = 0; label < classes; label++) {
            List<byte[]> imgs = FashionImages.png(test, label, 0, 50);
            for (JsonNode p : c.predict(name, imgs, 1).path("predictions")) {
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
}
