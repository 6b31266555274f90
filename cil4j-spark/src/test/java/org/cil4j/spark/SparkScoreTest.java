package org.cil4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageBytes;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.CilServer;
import org.cil4j.serve.app.VersionManifest;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cil score --spark local[2]} against the service's own predictions: a classifier of
 * {@code cil serve} learns three Fashion-MNIST classes (40 images each), then 24 test images
 * (and one file that is no image) are scored on Spark from the version's folder alone; every
 * image gets the service's classes and scores. After a class is forgotten, the same images as a
 * Parquet table of id and bytes are scored without it, as the service answers.
 */
class SparkScoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void scoringOnSparkEqualsTheServicesPredictions() throws Exception {
        Datasets.TrainTest data = Datasets.load("fashion-mnist", null);
        CilServer.Options o = CilServer.Options.of(tmp.resolve("home"), 0);
        try (CilServer s = CilServer.start(
                new CilServer.Options(o.home(), 0, "127.0.0.1", null, 1, o.limits(), o.maxRequestBytes()))) {
            CilClient c = new CilClient(
                    "http://127.0.0.1:" + s.port(), s.firstAdminToken().orElseThrow());
            c.createClassifier(JSON.createObjectNode().put("name", "sc").put("method", "finetune"));
            List<CilClient.Sample> upload = new ArrayList<>();
            for (int label : new int[] {0, 1, 7}) {
                for (byte[] png : pngs(data.train(), label, 40)) {
                    upload.add(new CilClient.Sample(data.train().classNames().get(label), png));
                }
            }
            c.upload("sc", upload);
            assertEquals(
                    "done",
                    c.awaitJob(c.startPhase("sc").path("id").asText(), Duration.ofMinutes(3))
                            .path("state")
                            .asText());
            Path version;
            try (Stream<Path> w = Files.walk(o.home())) {
                version = w.filter(p -> p.getFileName().toString().equals(VersionManifest.FILE))
                        .findFirst()
                        .orElseThrow()
                        .getParent();
            }

            Path images = tmp.resolve("images");
            assertTrue(run(
                            "score",
                            "--version",
                            version.toString(),
                            "--images",
                            images.toString(),
                            "--out",
                            tmp.resolve("o").toString())
                    .contains("--images " + images + ": no such folder"));
            Files.createDirectories(images.resolve("sub"));
            List<byte[]> test = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int label : new int[] {0, 1, 7, 9}) {
                for (byte[] png : pngs(data.test(), label, 6)) {
                    String id = (label % 2 == 0 ? "" : "sub/") + "img-" + ids.size() + ".png";
                    Files.write(images.resolve(id), png);
                    test.add(png);
                    ids.add(id);
                }
            }
            Files.writeString(images.resolve("broken.png"), "not an image");

            long t0 = System.nanoTime();
            Map<String, Row> scored = score(version, images, tmp.resolve("scores"));
            System.out.printf(
                    "cil score of %d images on Spark local[2]: %.1f s%n",
                    scored.size(), (System.nanoTime() - t0) / 1e9);
            assertEquals(ids.size() + 1, scored.size());
            assertTrue(
                    scored.get("broken.png").getString(4).contains("cannot decode"),
                    scored.get("broken.png").toString());
            assertSame(c.predict("sc", test, 3), ids, scored);

            // the same images as a Parquet table of id and bytes, after a class is forgotten
            Path table = tmp.resolve("images.parquet");
            SparkSession w = Sessions.open("local[1]", "write the table");
            try {
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    rows.add(RowFactory.create(ids.get(i), test.get(i)));
                }
                w.createDataFrame(
                                rows,
                                new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType))
                        .write()
                        .parquet(table.toString());
            } finally {
                w.stop();
            }
            String forgotten = data.train().classNames().get(1);
            c.forgetClass("sc", forgotten);
            Map<String, Row> after = score(version, table, tmp.resolve("scores-after-forget"));
            assertEquals(ids.size(), after.size());
            JsonNode answer = c.predict("sc", test, 3);
            assertSame(answer, ids, after);
            after.values().stream()
                    .filter(r -> r.isNullAt(4))
                    .forEach(r -> assertFalse(
                            r.getList(2).contains(forgotten), "a forgotten class is never predicted: " + r));
        }
    }

    @Test
    void badInputIsRefusedNamingTheOption() throws Exception {
        Path none = tmp.resolve("none");
        assertTrue(run(
                        "score",
                        "--version",
                        none.toString(),
                        "--images",
                        tmp.toString(),
                        "--out",
                        tmp.resolve("o").toString())
                .contains("--version " + none + ": no such folder"));
        assertTrue(run(
                        "score",
                        "--version",
                        tmp.toString(),
                        "--images",
                        tmp.toString(),
                        "--out",
                        tmp.resolve("o").toString())
                .contains(tmp + " is not a trained version of cil serve"));
    }

    /** The service's answer and the Parquet rows agree: classes in the same order, the same scores. */
    private static void assertSame(JsonNode answer, List<String> ids, Map<String, Row> scored) {
        JsonNode preds = answer.path("predictions");
        assertEquals(ids.size(), preds.size());
        for (int i = 0; i < ids.size(); i++) {
            Row r = scored.get(ids.get(i));
            assertNull(r.get(4), ids.get(i));
            JsonNode top = preds.get(i).path("top");
            List<Integer> classIds = r.getList(1);
            List<Double> scores = r.getList(3);
            assertEquals(top.size(), classIds.size(), ids.get(i));
            for (int k = 0; k < top.size(); k++) {
                assertEquals(top.get(k).path("classId").asInt(), classIds.get(k), ids.get(i) + " class " + k);
                assertEquals(top.get(k).path("score").asDouble(), scores.get(k), 1e-6, ids.get(i) + " score " + k);
            }
        }
    }

    /** Runs cil score and reads its table back, by image id. */
    private static Map<String, Row> score(Path version, Path images, Path out) {
        run(
                "score",
                "--spark",
                "local[2]",
                "--version",
                version.toString(),
                "--images",
                images.toString(),
                "--out",
                out.toString(),
                "--top-k",
                "3",
                "--batch",
                "8");
        SparkSession s = Sessions.open("local[1]", "read back");
        try {
            Map<String, Row> byId = new HashMap<>();
            for (Row r : s.read().parquet(out.toString()).collectAsList()) {
                byId.put(r.getString(0), r);
            }
            return byId;
        } finally {
            s.stop();
        }
    }

    private static String run(String... args) {
        Cil.Ran r = Cil.run(args);
        String log = r.log();
        int rc = r.rc();
        boolean bad = log.contains("error: ");
        assertEquals(bad ? 2 : 0, rc, log);
        return log;
    }

    private static List<byte[]> pngs(ImageDataset d, int label, int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < d.size() && out.size() < n; i++) {
            if (d.label(i) == label) {
                out.add(ImageBytes.png(d, i));
            }
        }
        return out;
    }
}
