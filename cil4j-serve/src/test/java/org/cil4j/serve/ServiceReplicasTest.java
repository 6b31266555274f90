package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.client.CilClient;
import org.cil4j.serve.store.ScratchDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code cil serve} processes on one PostgreSQL database and one home folder: all answer
 * predictions, exactly one trains (the training lease), a rollback reaches all three at once, a
 * trainer killed with SIGKILL mid-phase is replaced by another that resumes from the checkpoint
 * and publishes one version, and concurrent erasures of one source delete each sample once.
 */
class ServiceReplicasTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void threeReplicasShareTheDatabaseAndSurviveTheTrainersDeath() throws Exception {
        ScratchDatabase scratch = TestDatabases.open("postgresql");
        String url = scratch.url();
        List<ChildService> replicas = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                replicas.add(new ChildService(home, url)); // one after the other: the first makes the admin token
            }
            String token = replicas.get(0).token;
            assertNotNull(token);
            List<CilClient> clients =
                    replicas.stream().map(r -> r.client(token)).toList();
            ImageDataset train = FashionImages.data().train();
            ObjectNode spec = JSON.createObjectNode().put("name", "rep").put("method", "finetune");
            // long enough to kill one midway; lr 0.01: at the preset's 0.05, batches of 32 and 40 epochs
            // fine-tuning once diverged (NaN loss in the second phase)
            spec.putObject("train").put("epochs", 40).put("batchSize", 32).put("lr", 0.01);
            spec.putObject("gate").put("maxOldAccuracyDrop", 100); // fine-tuning forgets: promote every version
            clients.get(0).createClassifier(spec);
            int v = 0;
            for (int[] phase : new int[][] {{0, 1}, {2, 3}}) {
                upload(clients.get(1), train, phase, null);
                String job = clients.get(2).startPhase("rep").path("id").asText();
                assertEquals(
                        "done",
                        clients.get(1)
                                .awaitJob(job, Duration.ofMinutes(3))
                                .path("state")
                                .asText());
                v++;
            }
            assertEquals(
                    1,
                    replicas.stream()
                            .filter(r -> r.logged("holds the training lease"))
                            .count(),
                    "exactly one replica trains");
            byte[] img = FashionImages.png(FashionImages.data().test(), 0);
            for (CilClient c : clients) {
                assertEquals(
                        v,
                        c.predict("rep", List.of(img), 1).path("version").asInt(),
                        "every replica serves the version of the last phase");
            }
            clients.get(1).activate("rep", 1);
            for (CilClient c : clients) {
                assertEquals(
                        1,
                        c.predict("rep", List.of(img), 1).path("version").asInt(),
                        "the rollback reaches every replica");
            }
            clients.get(1).activate("rep", 2);

            // the trainer dies mid-phase; another replica takes the lease and resumes from the checkpoint
            int trainer = replicas.indexOf(replicas.stream()
                    .filter(r -> r.logged("holds the training lease"))
                    .findFirst()
                    .orElseThrow());
            upload(clients.get(0), train, new int[] {4, 5}, "s1");
            String job = clients.get(0).startPhase("rep").path("id").asText();
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (clients.get(0).job(job).path("progress").path("epoch").asInt(0) < 4) {
                assertTrue(System.nanoTime() < end, "the phase never reached its fourth epoch");
                Thread.sleep(50);
            }
            replicas.get(trainer).kill();
            List<ChildService> alive = new ArrayList<>(replicas);
            alive.remove(trainer);
            CilClient survivor = alive.get(0).client(token);
            JsonNode done = survivor.awaitJob(job, Duration.ofMinutes(3));
            assertEquals("done", done.path("state").asText(), done.toString());
            assertEquals(
                    1,
                    alive.stream()
                            .filter(r -> r.logged("resumes from its checkpoint"))
                            .count(),
                    "one survivor took the lease and resumed the phase from its checkpoint");
            assertEquals(3, survivor.versions("rep").path("versions").size(), "one version per phase, none twice");

            // concurrent erasures of one source, on both survivors: each sample deleted once, the audit exact
            int kept = 0;
            for (JsonNode s : survivor.storage("rep").path("classes")) {
                kept += s.path("keptSamples").asInt()
                        + s.path("validationSamples").asInt();
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<JsonNode>> receipts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                CilClient c = alive.get(i % 2).client(token);
                receipts.add(pool.submit(() -> c.erase("rep", "s1")));
            }
            int deleted = 0;
            for (Future<JsonNode> f : receipts) {
                deleted += f.get().path("deleted").asInt();
            }
            pool.shutdown();
            int keptAfter = 0;
            for (JsonNode s : survivor.storage("rep").path("classes")) {
                keptAfter += s.path("keptSamples").asInt()
                        + s.path("validationSamples").asInt();
            }
            assertTrue(deleted > 0, "source s1's kept samples were erased");
            assertEquals(kept - keptAfter, deleted, "the receipts add up to what was deleted, each sample once");
            int audited = 0;
            for (JsonNode e : survivor.audit(100).path("entries")) {
                if (e.path("action").asText().equals("erase-source")) {
                    audited += e.path("count").asInt();
                }
            }
            assertEquals(deleted, audited, "the audit log counts each deletion once");
        } finally {
            for (ChildService r : replicas) {
                r.close();
            }
            scratch.close();
        }
    }

    private static void upload(CilClient c, ImageDataset d, int[] labels, String source) {
        for (int label : labels) {
            List<CilClient.Sample> s = new ArrayList<>();
            for (byte[] b : FashionImages.png(d, label, 0, 60)) {
                s.add(new CilClient.Sample(d.classNames().get(label), b, source, null));
            }
            c.upload("rep", s);
        }
    }
}
