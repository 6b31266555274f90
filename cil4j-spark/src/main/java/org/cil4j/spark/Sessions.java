package org.cil4j.spark;

import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.cil4j.CilException;

/** Opens the Spark session of a cil4j job from a master URL, checking the URL first. */
final class Sessions {
    private Sessions() {}

    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|[1-9][0-9]*)\\])?");
    private static final Pattern MASTER =
            Pattern.compile("local(\\[(\\*|[1-9][0-9]*)(,[1-9][0-9]*)?\\])?|local-cluster\\[[0-9]+, *[0-9]+, *[0-9]+\\]"
                    + "|spark://.+|yarn|k8s://.+|mesos://.+");

    /** Retries of a failed task in local mode, as a cluster's default spark.task.maxFailures. */
    static final int LOCAL_RETRIES = 4;

    /**
     * @param master "submit" (the master spark-submit gave) or a local master: {@code local} and
     *     {@code local[N]} become {@code local[N,4]}, as local mode otherwise never retries a task;
     *     a cluster's URL is refused outside spark-submit, whose jar the executors need
     * @param app the application's name
     * @return the session
     * @throws CilException naming --spark when the URL is not one Spark knows
     */
    static SparkSession open(String master, String app) {
        quietLogs();
        SparkSession.Builder b = SparkSession.builder().appName(app);
        if ("submit".equals(master)) {
            if (System.getProperty("spark.master") == null) {
                throw new CilException("--spark submit: no master was given by spark-submit (its --master); outside"
                        + " spark-submit give a master URL such as local[2] or spark://host:7077");
            }
        } else if (master == null || !MASTER.matcher(master).matches()) {
            throw new CilException("--spark '" + master + "' is not a Spark master URL: use local[N], local[N,retries],"
                    + " spark://host:port, yarn, k8s://https://host:port, or submit (the master spark-submit gave)");
        } else if (!master.startsWith("local")) {
            throw new CilException(
                    "--spark " + master + ": outside spark-submit cil runs Spark in this JVM only (local[N]);"
                            + " on a cluster, submit cil4j-spark/target/cil4j-spark-*-spark.jar with spark-submit --master "
                            + master
                            + " and give --spark submit (README, 'Sweeps and scoring on Apache Spark')");
        } else {
            var m = LOCAL.matcher(master);
            String url = m.matches()
                    ? "local[" + (m.group(2) == null ? "1" : m.group(2)) + "," + LOCAL_RETRIES + "]"
                    : master;
            b.master(url);
            // this JVM has cil's class path, whose servlet 6 API (the service's Jetty 12) Spark's Jetty 11 cannot
            // use: no web UI and no metrics servlet here (spark-submit puts Spark's own class path first)
            b.config("spark.ui.enabled", "false")
                    .config("spark.metrics.conf.*.sink.servlet.class", NoMetricsServlet.class.getName());
            b.config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4");
        }
        return b.getOrCreate();
    }

    /** Spark, Hadoop and Parquet log through cil4j's slf4j-simple at warning level. */
    private static void quietLogs() {
        for (String p : new String[] {
            "org.apache.spark",
            "org.sparkproject",
            "org.apache.hadoop",
            "org.apache.parquet",
            "org.apache.orc",
            "io.netty"
        }) {
            String key = "org.slf4j.simpleLogger.log." + p;
            if (System.getProperty(key) == null) {
                System.setProperty(key, "warn");
            }
        }
    }
}
