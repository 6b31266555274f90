package org.cil4j.train;

import org.cil4j.data.ImageDataset;

/**
 * Per-channel mean and standard deviation (on the 0-1 scale), computed from a training set.
 *
 * @param mean per-channel mean
 * @param std per-channel standard deviation
 */
public record Normalization(float[] mean, float[] std) {
    /**
     * Computes the statistics of a dataset's pixels.
     *
     * @param data the training images
     * @return mean and std per channel
     */
    public static Normalization of(ImageDataset data) {
        int c = data.channels();
        int plane = data.height() * data.width();
        double[] sum = new double[c];
        double[] sq = new double[c];
        byte[] px = data.pixels();
        int n = data.size();
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                int off = (i * c + ch) * plane;
                long s = 0;
                long q = 0;
                for (int k = 0; k < plane; k++) {
                    int v = px[off + k] & 0xff;
                    s += v;
                    q += (long) v * v;
                }
                sum[ch] += s;
                sq[ch] += q;
            }
        }
        float[] mean = new float[c];
        float[] std = new float[c];
        double count = (double) n * plane;
        for (int ch = 0; ch < c; ch++) {
            double m = sum[ch] / count;
            double var = sq[ch] / count - m * m;
            mean[ch] = (float) (m / 255.0);
            std[ch] = (float) Math.max(1e-3, Math.sqrt(Math.max(0, var)) / 255.0);
        }
        return new Normalization(mean, std);
    }
}
