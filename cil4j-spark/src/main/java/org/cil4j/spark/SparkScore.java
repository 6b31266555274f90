package org.cil4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cil4j.CilException;
import org.cil4j.data.ImageBytes;
import org.cil4j.engine.Engines;
import org.cil4j.serve.app.VersionManifest;
import org.cil4j.serve.app.VersionNet;

/**
 * Batch scoring on Spark: images (a folder, or a Parquet table of id and image bytes) through a
 * trained version of {@code cil serve}, {@code batch} images per forward pass, written as
 * Parquet. Each executor loads the version once (one engine, one network per JVM, shared by
 * its tasks one batch at a time) and predicts exactly as the service does ({@link VersionNet}).
 */
final class SparkScore {
    private SparkScore() {}

    /** The output table. */
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("class_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
            .add("classes", DataTypes.createArrayType(DataTypes.StringType, false), true)
            .add("scores", DataTypes.createArrayType(DataTypes.DoubleType, false), true)
            .add("error", DataTypes.StringType, true);

    /** Images larger than this many pixels are refused (a decompression bomb's header). */
    static final long MAX_PIXELS = 50_000_000L;

    private static final String IMAGE_GLOB = "*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,BMP,gif,GIF}";

    /** The networks this JVM holds, by version folder: one per executor. */
    private static final Map<String, VersionNet> NETS = new ConcurrentHashMap<>();

    /** @return the number of images scored */
    static long run(SparkSession s, Path version, Path images, Path out, int topK, int batch) {
        VersionManifest m = VersionManifest.read(version); // fails here, on the driver, when it is not a version
        Dataset<Row> in = read(s, images);
        String versionDir = version.toAbsolutePath().toString();
        String root = images.toAbsolutePath().normalize().toString();
        in.mapPartitions(
                        (MapPartitionsFunction<Row, Row>) rows -> score(rows, versionDir, root, topK, batch),
                        Encoders.row(SCHEMA))
                .write()
                .parquet(out.toAbsolutePath().toString());
        long n = s.read().parquet(out.toAbsolutePath().toString()).count();
        System.err.printf(
                "cil score: version %d of '%s' (%d classes), top %d%n",
                m.version(), m.classifier(), m.classIds().length, topK);
        return n;
    }

    /** Reads the input as rows of (id, image bytes). */
    private static Dataset<Row> read(SparkSession s, Path images) {
        String p = images.toAbsolutePath().toString();
        if (isParquet(images)) {
            Dataset<Row> t = s.read().parquet(p);
            List<String> cols = Arrays.asList(t.columns());
            if (!cols.contains("id") || !cols.contains("image")) {
                throw new CilException("--images " + images + ": a Parquet table needs the columns id and image (the"
                        + " encoded bytes); it has " + cols);
            }
            return t.selectExpr("CAST(id AS STRING) AS id", "image");
        }
        if (!Files.isDirectory(images)) {
            throw new CilException("--images " + images + ": neither a folder of images nor a Parquet table");
        }
        return s.read()
                .format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", IMAGE_GLOB)
                .load(p)
                .selectExpr("path AS id", "content AS image");
    }

    private static boolean isParquet(Path images) {
        if (Files.isRegularFile(images)) {
            return images.getFileName().toString().endsWith(".parquet");
        }
        try (Stream<Path> l = Files.list(images)) {
            return l.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
        } catch (IOException e) {
            throw new CilException("--images " + images + ": cannot list it: " + e.getMessage(), e);
        }
    }

    /** Runs in an executor: one partition, {@code batch} images at a time through the executor's network. */
    private static Iterator<Row> score(Iterator<Row> rows, String versionDir, String root, int topK, int batch) {
        VersionNet net = NETS.computeIfAbsent(versionDir, SparkScore::load);
        // read again: the network of a version never changes, its forgotten classes may have
        VersionManifest m = VersionManifest.read(Path.of(versionDir));
        List<Row> out = new ArrayList<>();
        while (rows.hasNext()) {
            List<String> ids = new ArrayList<>();
            List<byte[]> px = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            while (rows.hasNext() && ids.size() < batch) {
                Row r = rows.next();
                String id = relative(r.getString(0), root);
                ids.add(id);
                try {
                    byte[] img = r.isNullAt(1) ? new byte[0] : (byte[]) r.get(1);
                    px.add(ImageBytes.decode(
                            img,
                            "image " + id,
                            m.spec().channels(),
                            m.spec().imageSize(),
                            m.spec().imageSize(),
                            MAX_PIXELS));
                    errors.add(null);
                } catch (CilException e) {
                    px.add(null);
                    errors.add(e.getMessage());
                }
            }
            List<byte[]> good = px.stream().filter(x -> x != null).toList();
            float[] logits;
            synchronized (net) {
                Engines.noGradOnThisThread();
                logits = good.isEmpty() ? new float[0] : net.logits(good);
            }
            int at = 0;
            for (int i = 0; i < ids.size(); i++) {
                if (errors.get(i) != null) {
                    out.add(RowFactory.create(ids.get(i), null, null, null, errors.get(i)));
                    continue;
                }
                List<VersionNet.Scored> top = VersionNet.top(m, logits, at++, topK);
                out.add(RowFactory.create(
                        ids.get(i),
                        top.stream().map(VersionNet.Scored::classId).toArray(Integer[]::new),
                        top.stream().map(VersionNet.Scored::name).toArray(String[]::new),
                        top.stream().map(VersionNet.Scored::score).toArray(Double[]::new),
                        null));
            }
        }
        return out.iterator();
    }

    private static VersionNet load(String versionDir) {
        Engines.start("auto", 0);
        Path dir = Path.of(versionDir);
        return VersionNet.load(VersionManifest.read(dir), dir);
    }

    /** A file's id: its path under the images folder ({@code file:/x/y.png} under {@code /x} is {@code y.png}). */
    static String relative(String id, String root) {
        if (!id.startsWith("file:")) {
            return id;
        }
        String p = new org.apache.hadoop.fs.Path(id).toUri().getPath();
        return p.startsWith(root + "/") ? p.substring(root.length() + 1) : p;
    }
}
