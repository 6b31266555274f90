package org.cil4j.spark;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cil4j.cli.SparkJobs;
import org.cil4j.experiment.Sweep;

/** The Spark jobs of {@code cil sweep --spark} and {@code cil score}, found by {@link SparkJobs#load()}. */
public final class SparkJobsImpl implements SparkJobs {
    @Override
    public List<String> sweep(Sweep sweep, String master, String command) {
        SparkSession s = Sessions.open(master, "cil sweep " + sweep.file().getFileName());
        try {
            return SparkSweep.run(s, sweep, command);
        } finally {
            s.stop();
        }
    }

    @Override
    public long score(String master, Path version, Path images, Path out, int topK, int batch) {
        SparkSession s = Sessions.open(master, "cil score " + version);
        try {
            return SparkScore.run(s, version, images, out, topK, batch);
        } finally {
            s.stop();
        }
    }
}
