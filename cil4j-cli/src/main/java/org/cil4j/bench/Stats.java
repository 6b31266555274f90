package org.cil4j.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Median and spread of repeated measurements.
 *
 * @param median the median
 * @param min the smallest value
 * @param max the largest value
 * @param n the number of values
 */
public record Stats(double median, double min, double max, int n) {
    /**
     * @param values one value per repeat, at least one
     * @return their median, min and max
     */
    public static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        double med = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Stats(med, v[0], v[n - 1], n);
    }

    @Override
    public String toString() {
        return median + " " + Arrays.toString(new double[] {min, max});
    }
}
