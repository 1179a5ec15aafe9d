package newsworker.analysis;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;
import org.elasticsearch.plugin.settings.ListSetting;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * Elasticsearch's {@code lowercase}, {@code asciifolding}, {@code pattern_capture} and
 * {@code unique} token filter types, with their parameters and defaults, as analysis-common
 * defines them. {@code lowercase} and {@code asciifolding} also normalize (multi-term queries),
 * as there; the other two do not, as there (a normalized term passes them unchanged).
 */
public final class TokenFilters {

    private TokenFilters() {}

    /** {@code lowercase}, optionally {@code "language": "greek" | "irish" | "turkish"}. */
    @NamedComponent("lowercase")
    public static final class Lowercase implements TokenFilterFactory {

        @AnalysisSettings
        public interface Settings {
            @StringSetting(path = "language", defaultValue = "")
            String language();
        }

        private final String language;

        @Inject
        public Lowercase(Settings settings) {
            language = settings.language().toLowerCase(Locale.ROOT);
            if (!language.isEmpty() && !language.equals("greek") && !language.equals("irish")
                    && !language.equals("turkish")) {
                throw new IllegalArgumentException("language [" + settings.language() + "] not support for lower case");
            }
        }

        @Override
        public TokenStream create(TokenStream in) {
            return switch (language) {
                case "greek" -> new GreekLowerCaseFilter(in);
                case "irish" -> new IrishLowerCaseFilter(in);
                case "turkish" -> new TurkishLowerCaseFilter(in);
                default -> new LowerCaseFilter(in);
            };
        }

        @Override
        public TokenStream normalize(TokenStream in) {
            return create(in);
        }
    }

    /** {@code asciifolding}, optionally {@code "preserve_original": true}. */
    @NamedComponent("asciifolding")
    public static final class AsciiFolding implements TokenFilterFactory {

        @AnalysisSettings
        public interface Settings {
            @BooleanSetting(path = "preserve_original", defaultValue = false)
            boolean preserveOriginal();
        }

        private final boolean preserveOriginal;

        @Inject
        public AsciiFolding(Settings settings) {
            preserveOriginal = settings.preserveOriginal();
        }

        @Override
        public TokenStream create(TokenStream in) {
            return new ASCIIFoldingFilter(in, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream in) {
            return new ASCIIFoldingFilter(in, false); // a normalized term is one token
        }
    }

    /**
     * {@code pattern_capture}: every capture group of every pattern that matches a token becomes a
     * token at its position ({@code patterns}, a list of Java regular expressions, required), and
     * the token itself is kept too unless {@code "preserve_original": false}. The {@code .security}
     * index's {@code email} filter uses it.
     */
    @NamedComponent("pattern_capture")
    public static final class PatternCapture implements TokenFilterFactory {

        @AnalysisSettings
        public interface Settings {
            @ListSetting(path = "patterns")
            List<String> patterns();

            @BooleanSetting(path = "preserve_original", defaultValue = true)
            boolean preserveOriginal();
        }

        private final Pattern[] patterns;
        private final boolean preserveOriginal;

        @Inject
        public PatternCapture(Settings settings) {
            // Elasticsearch builds every filter type once with empty settings for each index
            // (whether used or not), so a missing `patterns` may only fail where it is used.
            patterns = settings.patterns().stream().map(Pattern::compile).toArray(Pattern[]::new);
            preserveOriginal = settings.preserveOriginal();
        }

        @Override
        public TokenStream create(TokenStream in) {
            if (patterns.length == 0) {
                throw new IllegalArgumentException("required setting 'patterns' is missing for token filter [pattern_capture]");
            }
            return new PatternCaptureGroupTokenFilter(in, preserveOriginal, patterns);
        }
    }

    /**
     * {@code unique}: each distinct term once, the first time it comes; with
     * {@code "only_on_same_position": true} only repeats stacked on one position are dropped.
     * The {@code .security} index's {@code email} analyzer uses it.
     */
    @NamedComponent("unique")
    public static final class Unique implements TokenFilterFactory {

        @AnalysisSettings
        public interface Settings {
            @BooleanSetting(path = "only_on_same_position", defaultValue = false)
            boolean onlyOnSamePosition();
        }

        private final boolean onlyOnSamePosition;

        @Inject
        public Unique(Settings settings) {
            onlyOnSamePosition = settings.onlyOnSamePosition();
        }

        @Override
        public TokenStream create(TokenStream in) {
            return new UniqueTokenFilter(in, onlyOnSamePosition);
        }
    }
}
