package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing lost: the service in a child process killed with SIGKILL in the middle of a phase and
 * in the middle of uploads, then started again on the same home folder; and an erasure whose
 * request row was written but whose deletions were not.
 */
class ServiceCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void aPhaseKilledMidwayResumesFromItsCheckpointAndPublishesOneVersion() throws Exception {
        ImageDataset train = FashionImages.data().train();
        String token;
        String jobId;
        try (ChildService first = new ChildService(home, null)) {
            token = first.token;
            CilClient c = first.client(token);
            ObjectNode spec = JSON.createObjectNode();
            spec.put("name", "crash");
            spec.put("preset", "tin100-32"); // a ResNet-32: epochs long enough to kill one midway
            spec.putObject("method").put("name", "icarl");
            spec.putObject("train")
                    .put("epochs", 4)
                    .put("batchSize", 32)
                    .putObject("augment")
                    .put("crop", false);
            c.createClassifier(spec);
            for (int label : new int[] {0, 1}) {
                List<CilClient.Sample> s = new ArrayList<>();
                for (byte[] b : FashionImages.png(train, label, 0, 100)) {
                    s.add(new CilClient.Sample(train.classNames().get(label), b));
                }
                c.upload("crash", s);
            }
            jobId = c.startPhase("crash").path("id").asText();
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (c.job(jobId).path("progress").path("epoch").asInt(0) < 3) {
                assertTrue(System.nanoTime() < end, "the phase never reached its third epoch");
                assertFalse(
                        c.job(jobId).path("state").asText().equals("done"),
                        "the phase ended before it could be killed");
                Thread.sleep(100);
            }
            first.kill();
        }
        assertEquals(0, count(home, "SELECT COUNT(*) FROM versions"), "no version is published by a killed phase");
        try (ChildService second = new ChildService(home, null)) {
            assertEquals(null, second.token, "the admin token is made on the first start only");
            CilClient c = second.client(token);
            JsonNode done = c.awaitJob(jobId, Duration.ofMinutes(5));
            assertEquals("done", done.path("state").asText(), done.toString());
            assertTrue(second.logged("resumes from its checkpoint"), String.join("\n", second.lines));
            assertEquals(1, c.versions("crash").path("versions").size());
            assertEquals(
                    1,
                    c.predict("crash", FashionImages.png(FashionImages.data().test(), 1, 0, 1), 1)
                            .path("version")
                            .asInt());
        }
        try (Stream<Path> s = Files.walk(home.resolve("classifiers"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no half-written version folder");
        }
        try (Stream<Path> s = Files.list(home.resolve("jobs"))) {
            assertEquals(0, s.count(), "the finished phase's checkpoints are deleted");
        }
    }

    @Test
    void uploadsKilledMidwayLeaveNoRowWithoutItsFileAndNoOrphanFile() throws Exception {
        ImageDataset train = FashionImages.data().train();
        String token;
        try (ChildService first = new ChildService(home, null)) {
            token = first.token;
            CilClient c = first.client(token);
            c.createClassifier(JSON.createObjectNode().put("name", "up").put("method", "finetune"));
            List<CilClient.Sample> batch = new ArrayList<>();
            for (byte[] b : FashionImages.png(train, 4, 0, 200)) {
                batch.add(new CilClient.Sample("Coat", b));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread uploader = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    try {
                        c.upload("up", batch.subList((i * 50) % 200, (i * 50) % 200 + 50));
                    } catch (RuntimeException e) {
                        return; // the service died under us
                    }
                    i++;
                }
            });
            uploader.start();
            Thread.sleep(1500);
            first.kill();
            stop.set(true);
            uploader.join(10_000);
        }
        try (ChildService second = new ChildService(home, null)) {
            second.client(token).storage("up"); // started and swept
        }
        Set<String> referenced = new HashSet<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cil.db"));
                Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("SELECT blob FROM samples")) {
            while (rs.next()) {
                referenced.add(rs.getString(1));
            }
        }
        assertFalse(referenced.isEmpty(), "some uploads finished before the kill");
        Set<String> files = new HashSet<>();
        try (Stream<Path> s = Files.walk(home.resolve("blobs"))) {
            s.filter(Files::isRegularFile)
                    .forEach(p -> files.add(p.getFileName().toString()));
        }
        assertTrue(files.containsAll(referenced), "every sample row has its file");
        assertEquals(referenced, files, "no orphan file is left after the restart's sweep");
    }

    @Test
    void anErasureInterruptedAfterItsRequestCompletesAtTheNextStart() throws Exception {
        ImageDataset train = FashionImages.data().train();
        String token;
        try (CilServer s = CilServer.start(CilServer.Options.of(home, 0))) {
            token = s.firstAdminToken().orElseThrow();
            CilClient c = new CilClient("http://127.0.0.1:" + s.port(), token);
            c.createClassifier(JSON.createObjectNode().put("name", "er").put("method", "finetune"));
            List<CilClient.Sample> batch = new ArrayList<>();
            List<byte[]> imgs = FashionImages.png(train, 5, 0, 20);
            for (int i = 0; i < imgs.size(); i++) {
                batch.add(new CilClient.Sample("Sandal", imgs.get(i), i < 7 ? "alice" : "bob", null));
            }
            c.upload("er", batch);
        }
        // what a crash right after the erasure's request row leaves: the row, pending, and every sample
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cil.db"));
                Statement st = db.createStatement()) {
            st.executeUpdate("INSERT INTO erasures (id, classifier_id, source_id, state, token_id, created_at) "
                    + "SELECT 'e-1', id, 'alice', 'pending', NULL, 0 FROM classifiers WHERE name = 'er'");
        }
        try (CilServer s = CilServer.start(CilServer.Options.of(home, 0))) {
            CilClient c = new CilClient("http://127.0.0.1:" + s.port(), token);
            assertEquals(
                    13,
                    c.storage("er")
                            .path("classes")
                            .get(0)
                            .path("pendingSamples")
                            .asInt(),
                    "alice's 7 are gone");
            JsonNode audit = c.audit(10).path("entries");
            assertEquals("erase-source", audit.get(0).path("action").asText());
            assertEquals(7, audit.get(0).path("count").asInt());
        }
        assertEquals(
                1,
                count(home, "SELECT COUNT(*) FROM erasures WHERE state = 'done' AND receipt LIKE '%\"deleted\":7%'"));
    }

    private static int count(Path home, String sql) throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cil.db"));
                Statement st = db.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
