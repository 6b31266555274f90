package org.cil4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ImprintingTest {
    @Test
    void reproducesProtocolVector() {
        float[] w = Imprinting.weights(new float[][] {{3, 4}, {0, 2}}, new float[][] {{2, 0}, {0, 4}});
        assertArrayEquals(new float[] {0.948683f, 2.846050f}, w, 1e-5f);
    }

    @Test
    void normIsTheMeanOldNormAndDirectionIgnoresFeatureScale() {
        float[][] old = {{1, 0, 0}, {0, 2, 0}, {0, 0, 6}};
        float[] a = Imprinting.weights(new float[][] {{1, 2, 3}, {-1, 0.5f, 2}}, old);
        float[] b = Imprinting.weights(new float[][] {{10, 20, 30}, {-0.1f, 0.05f, 0.2f}}, old);
        assertArrayEquals(a, b, 1e-6f);
        double norm = Math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
        assertEquals(3.0, norm, 1e-6);
    }

    @Test
    void singleFeatureGivesItsDirection() {
        float[] w = Imprinting.weights(new float[][] {{0, -5}}, new float[][] {{3, 4}});
        assertArrayEquals(new float[] {0, -5}, w, 1e-6f);
    }

    @Test
    void cancellingFeaturesGiveZeros() {
        float[] w = Imprinting.weights(new float[][] {{1, 0}, {-2, 0}}, new float[][] {{3, 4}});
        assertArrayEquals(new float[] {0, 0}, w, 0f);
    }

    @Test
    void rejectsBadArguments() {
        float[][] old = {{1, 0}};
        assertThrows(IllegalArgumentException.class, () -> Imprinting.weights(new float[0][], old));
        assertThrows(IllegalArgumentException.class, () -> Imprinting.weights(new float[][] {{1, 0}}, new float[0][]));
        assertThrows(IllegalArgumentException.class, () -> Imprinting.weights(new float[][] {{1, 0, 0}}, old));
        assertThrows(IllegalArgumentException.class, () -> Imprinting.weights(new float[][] {{1, 0}, {1}}, old));
        assertThrows(
                IllegalArgumentException.class,
                () -> Imprinting.weights(new float[][] {{1, Float.POSITIVE_INFINITY}}, old));
    }

    @Test
    void proxiesAreTheKMeansCentresOfTheNormalizedFeaturesAtTheOldNorm() {
        // two directions: [1,0] and [2,0] normalize to [1,0]; [0,3] and [0,1] to [0,1]; the old
        // rows' mean norm is (2 + 4) / 2 = 3, so the two proxies are [3,0] and [0,3] in some order
        float[][] features = {{1, 0}, {0, 3}, {2, 0}, {0, 1}};
        float[][] old = {{2, 0}, {0, 4}};
        float[][] p = Imprinting.proxies(features, old, 2, new java.util.SplittableRandom(7));
        float[][] sorted = p[0][0] > p[1][0] ? p : new float[][] {p[1], p[0]};
        assertArrayEquals(new float[] {3, 0}, sorted[0], 1e-6f);
        assertArrayEquals(new float[] {0, 3}, sorted[1], 1e-6f);
        // three points around [1,0]: one cluster is their mean direction's mean, 3 ([1,1]/sqrt2 + [1,0] + [1,-1]/sqrt2)
        // / 3
        float[][] one =
                Imprinting.proxies(new float[][] {{1, 1}, {1, 0}, {1, -1}}, old, 1, new java.util.SplittableRandom(1));
        assertArrayEquals(new float[] {(float) ((2 / Math.sqrt(2) + 1) / 3 * 3), 0}, one[0], 1e-6f);
        assertThrows(
                IllegalArgumentException.class,
                () -> Imprinting.proxies(features, old, 0, new java.util.SplittableRandom(1)));
    }
}
