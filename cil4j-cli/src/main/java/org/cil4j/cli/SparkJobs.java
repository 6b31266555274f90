package org.cil4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.cil4j.CilException;
import org.cil4j.experiment.Sweep;

/**
 * The jobs that run on Apache Spark, implemented by the cil4j-spark module so that the command
 * line and the library carry no Spark: {@code cil sweep --spark} and {@code cil score} find the
 * implementation on the class path, or say how to build it.
 */
public interface SparkJobs {
    /**
     * Runs every cell of a sweep as one Spark task.
     *
     * @param sweep the sweep; its output folder must be one every executor sees
     * @param master the Spark master URL, or "submit" for the one spark-submit gave
     * @param command the command line recorded in each run's provenance
     * @return what was said of each cell, in the order of the cells (see {@link Sweep#prepare})
     */
    List<String> sweep(Sweep sweep, String master, String command);

    /**
     * Scores images with a trained version and writes a Parquet table.
     *
     * @param master the Spark master URL, or "submit"
     * @param version a version folder of cil serve
     * @param images a folder of encoded images, or a Parquet table with columns id and image
     * @param out the Parquet folder to write (id, class_ids, classes, scores, error)
     * @param topK classes per image
     * @param batch images per forward pass
     * @return the number of images scored
     */
    long score(String master, Path version, Path images, Path out, int topK, int batch);

    /**
     * @return the implementation on the class path
     * @throws CilException saying how to build it when there is none
     */
    static SparkJobs load() {
        return ServiceLoader.load(SparkJobs.class)
                .findFirst()
                .orElseThrow(
                        () -> new CilException(
                                "this needs the cil4j-spark module, which is not on the class path: build it with"
                                        + " './mvnw -B -DskipTests package -pl cil4j-spark -am' (./cil does, and adds it), or build the jar"
                                        + " for spark-submit with -Pspark-submit (README, 'Sweeps and scoring on Apache Spark')"));
    }
}
