package org.cil4j.spark;

import com.codahale.metrics.MetricRegistry;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.metrics.sink.MetricsServlet;
import org.sparkproject.jetty.servlet.ServletContextHandler;

/**
 * Spark's metrics servlet without its web handler, for Spark in a JVM whose class path has
 * the servlet 6 API of cil4j's service (Javalin's Jetty 12) instead of the servlet 5 that
 * Spark's Jetty 11 builds its handler with. Local masters run without the web UI anyway; the
 * metrics themselves are unchanged.
 */
public final class NoMetricsServlet extends MetricsServlet {
    /**
     * @param property the sink's properties
     * @param registry the metrics
     */
    public NoMetricsServlet(Properties property, MetricRegistry registry) {
        super(property, registry);
    }

    @Override
    public ServletContextHandler[] getHandlers(SparkConf conf) {
        return new ServletContextHandler[0];
    }
}
