package org.cil4j.testutil;

import org.cil4j.data.Datasets;

/**
 * Real Fashion-MNIST for end-to-end tests, loaded once per test JVM from the Debian package
 * {@code dataset-fashion-mnist} (or CIL4J_DATA); {@code .ci/run} installs it.
 */
public final class RealData {
    private static Datasets.TrainTest fashion;

    private RealData() {}

    /** @return Fashion-MNIST train and test sets */
    public static synchronized Datasets.TrainTest fashionMnist() {
        if (fashion == null) {
            fashion = Datasets.load("fashion-mnist", null);
        }
        return fashion;
    }
}
