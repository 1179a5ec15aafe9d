package newsworker.analysis;

import java.util.Locale;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;
import org.elasticsearch.plugin.settings.StringSetting;

/**
 * Elasticsearch's {@code lowercase} and {@code asciifolding} token filter types, with their
 * parameters, as analysis-common defines them. Both also normalize (multi-term queries), as there.
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
}
