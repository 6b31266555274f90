package org.cil4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WeightAligningTest {
    @Test
    void gammaIsTheOldMeanNormOverTheNewMeanNorm() {
        // old norms 5 and 1 (mean 3), new norms 10 and 2 (mean 6)
        float[][] old = {{3f, 4f}, {0f, 1f}};
        float[][] fresh = {{6f, 8f}, {0f, 2f}};
        assertEquals(0.5, WeightAligning.gamma(old, fresh), 1e-12);
        assertEquals(2.0, WeightAligning.gamma(fresh, old), 1e-12);
        assertEquals(1.0, WeightAligning.gamma(old, old), 1e-12, "aligned weights stay as they are");
    }

    @Test
    void refusesEmptyMismatchedOrZeroRows() {
        float[][] one = {{1f, 0f}};
        assertThrows(IllegalArgumentException.class, () -> WeightAligning.gamma(new float[0][], one));
        assertThrows(IllegalArgumentException.class, () -> WeightAligning.gamma(one, new float[0][]));
        assertThrows(IllegalArgumentException.class, () -> WeightAligning.gamma(one, new float[][] {{1f, 0f, 0f}}));
        assertThrows(IllegalArgumentException.class, () -> WeightAligning.gamma(one, new float[][] {{0f, 0f}}));
    }

    @Test
    void rowsSplitARowMajorMatrix() {
        assertArrayEquals(
                new float[][] {{1f, 2f}, {3f, 4f}, {5f, 6f}}, WeightAligning.rows(new float[] {1, 2, 3, 4, 5, 6}, 2));
    }
}
