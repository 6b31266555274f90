package org.cil4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cil4j.CilException;
import org.cil4j.serve.app.VersionManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cil score}: batch prediction with a trained version of {@code cil serve} on Apache
 * Spark, written as Parquet. The work is done by the cil4j-spark module ({@link SparkJobs}).
 */
@Command(
        name = "score",
        description =
                "Predict a folder of images (or a Parquet table of image bytes) with a trained version of cil serve on"
                        + " Apache Spark; writes Parquet: id, class_ids, classes, scores (best first), error.")
public final class ScoreCommand implements Callable<Integer> {
    // no standard help mixin: its -V/--version would clash with --version, the trained version
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "show this help and exit")
    boolean help;

    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            defaultValue = "local[*]",
            description = "Spark master: local[N] (Spark in this JVM; default: ${DEFAULT-VALUE}), or 'submit' under"
                    + " spark-submit, which names the cluster's master")
    String master;

    @Option(
            names = "--version",
            required = true,
            paramLabel = "DIR",
            description = "a trained version: the folder HOME/classifiers/<id>/versions/<n> of cil serve")
    Path version;

    @Option(
            names = "--images",
            required = true,
            paramLabel = "PATH",
            description =
                    "a folder of images (PNG, JPEG, ...; read recursively) or a Parquet table with columns id (string)"
                            + " and image (binary)")
    Path images;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "PATH",
            description = "the Parquet folder to write; must not exist")
    Path out;

    @Option(names = "--top-k", defaultValue = "5", description = "classes per image (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(
            names = "--batch",
            defaultValue = "256",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Override
    public Integer call() {
        if (!Files.isDirectory(version)) {
            throw new CilException("--version " + version + ": no such folder; give a version folder of cil serve,"
                    + " HOME/classifiers/<id>/versions/<n>");
        }
        VersionManifest.read(version); // before Spark starts: is it a version?
        if (!Files.exists(images)) {
            throw new CilException("--images " + images + ": no such folder or Parquet table");
        }
        if (Files.exists(out)) {
            throw new CilException("--out " + out + " exists; remove it or choose another folder");
        }
        if (topK < 1 || batch < 1) {
            throw new CilException("--top-k and --batch must be at least 1, got " + topK + " and " + batch);
        }
        long n = SparkJobs.load().score(master, version, images, out, topK, batch);
        System.err.printf("score: %d image(s) -> %s%n", n, out);
        return 0;
    }
}
