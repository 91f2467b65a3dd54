package org.sdmodel.cli;

import java.util.Locale;

/** Counted nouns in messages: "1 tensor", "2 tensors", "1,024 parameters". */
final class Words {
    private Words() {
    }

    /** {@code n} and the noun, plural by adding "s" unless {@code n} is 1. */
    static String count(long n, String singular) {
        return count(n, singular, singular + "s");
    }

    /** {@code n} (with thousands separators) and the singular or plural noun. */
    static String count(long n, String singular, String plural) {
        return String.format(Locale.ROOT, "%,d %s", n, n == 1 ? singular : plural);
    }

    /** The singular or plural noun alone, for tables that align the number apart. */
    static String noun(long n, String singular, String plural) {
        return n == 1 ? singular : plural;
    }
}
