package newsworker.analysis;

import java.util.function.Supplier;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.bn.BengaliAnalyzer;
import org.apache.lucene.analysis.br.BrazilianAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.ckb.SoraniAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.eu.BasqueAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.gl.GalicianAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.hy.ArmenianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.th.ThaiAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.ListSetting;

/**
 * Elasticsearch's built-in language analyzers, under their built-in type names.
 *
 * <p>Elasticsearch 8.14's analysis-common builds each type as {@code new XAnalyzer(stopwords,
 * stemExclusions)} with the analyzer's default stop set and no stem exclusions when the settings
 * name none: exactly what the no-argument Lucene constructor builds. So the defaults behave the
 * same here as on a node with analysis-common. Overriding them (stopwords, stopwords_path,
 * stem_exclusion) is not supported: such an analyzer fails to build rather than silently differ.
 */
public final class LanguageAnalyzers {

    private LanguageAnalyzers() {}

    /** The settings a built-in language analyzer would read; here only to refuse them. */
    @AnalysisSettings
    public interface Overrides {
        @ListSetting(path = "stopwords")
        java.util.List<String> stopwords();

        @ListSetting(path = "stopwords_path")
        java.util.List<String> stopwordsPath();

        @ListSetting(path = "stem_exclusion")
        java.util.List<String> stemExclusion();
    }

    /** One Lucene analyzer class with its defaults; subclasses only name it. */
    abstract static class Language implements AnalyzerFactory {
        private final Supplier<Analyzer> analyzer;

        Language(Overrides overrides, Supplier<Analyzer> analyzer) {
            refuse("stopwords", overrides.stopwords());
            refuse("stopwords_path", overrides.stopwordsPath());
            refuse("stem_exclusion", overrides.stemExclusion());
            this.analyzer = analyzer;
        }

        private void refuse(String setting, java.util.List<String> value) {
            if (value.isEmpty() == false) {
                throw new IllegalArgumentException("analyzer type [" + name() + "]: setting [" + setting
                    + "] is not supported by the newsworker-analysis plugin, only the defaults");
            }
        }

        @Override
        public Analyzer create() {
            return analyzer.get();
        }
    }

    // One class per type: @NamedComponent names a class. Alphabetical by type name.
    // @formatter:off
    @NamedComponent("arabic")     public static final class Arabic     extends Language { @Inject public Arabic(Overrides o)     { super(o, ArabicAnalyzer::new); } }
    @NamedComponent("armenian")   public static final class Armenian   extends Language { @Inject public Armenian(Overrides o)   { super(o, ArmenianAnalyzer::new); } }
    @NamedComponent("basque")     public static final class Basque     extends Language { @Inject public Basque(Overrides o)     { super(o, BasqueAnalyzer::new); } }
    @NamedComponent("bengali")    public static final class Bengali    extends Language { @Inject public Bengali(Overrides o)    { super(o, BengaliAnalyzer::new); } }
    @NamedComponent("brazilian")  public static final class Brazilian  extends Language { @Inject public Brazilian(Overrides o)  { super(o, BrazilianAnalyzer::new); } }
    @NamedComponent("bulgarian")  public static final class Bulgarian  extends Language { @Inject public Bulgarian(Overrides o)  { super(o, BulgarianAnalyzer::new); } }
    @NamedComponent("catalan")    public static final class Catalan    extends Language { @Inject public Catalan(Overrides o)    { super(o, CatalanAnalyzer::new); } }
    @NamedComponent("cjk")        public static final class Cjk        extends Language { @Inject public Cjk(Overrides o)        { super(o, CJKAnalyzer::new); } }
    @NamedComponent("czech")      public static final class Czech      extends Language { @Inject public Czech(Overrides o)      { super(o, CzechAnalyzer::new); } }
    @NamedComponent("danish")     public static final class Danish     extends Language { @Inject public Danish(Overrides o)     { super(o, DanishAnalyzer::new); } }
    @NamedComponent("dutch")      public static final class Dutch      extends Language { @Inject public Dutch(Overrides o)      { super(o, DutchAnalyzer::new); } }
    @NamedComponent("english")    public static final class English    extends Language { @Inject public English(Overrides o)    { super(o, EnglishAnalyzer::new); } }
    @NamedComponent("estonian")   public static final class Estonian   extends Language { @Inject public Estonian(Overrides o)   { super(o, EstonianAnalyzer::new); } }
    @NamedComponent("finnish")    public static final class Finnish    extends Language { @Inject public Finnish(Overrides o)    { super(o, FinnishAnalyzer::new); } }
    @NamedComponent("french")     public static final class French     extends Language { @Inject public French(Overrides o)     { super(o, FrenchAnalyzer::new); } }
    @NamedComponent("galician")   public static final class Galician   extends Language { @Inject public Galician(Overrides o)   { super(o, GalicianAnalyzer::new); } }
    @NamedComponent("german")     public static final class German     extends Language { @Inject public German(Overrides o)     { super(o, GermanAnalyzer::new); } }
    @NamedComponent("greek")      public static final class Greek      extends Language { @Inject public Greek(Overrides o)      { super(o, GreekAnalyzer::new); } }
    @NamedComponent("hindi")      public static final class Hindi      extends Language { @Inject public Hindi(Overrides o)      { super(o, HindiAnalyzer::new); } }
    @NamedComponent("hungarian")  public static final class Hungarian  extends Language { @Inject public Hungarian(Overrides o)  { super(o, HungarianAnalyzer::new); } }
    @NamedComponent("indonesian") public static final class Indonesian extends Language { @Inject public Indonesian(Overrides o) { super(o, IndonesianAnalyzer::new); } }
    @NamedComponent("irish")      public static final class Irish      extends Language { @Inject public Irish(Overrides o)      { super(o, IrishAnalyzer::new); } }
    @NamedComponent("italian")    public static final class Italian    extends Language { @Inject public Italian(Overrides o)    { super(o, ItalianAnalyzer::new); } }
    @NamedComponent("latvian")    public static final class Latvian    extends Language { @Inject public Latvian(Overrides o)    { super(o, LatvianAnalyzer::new); } }
    @NamedComponent("lithuanian") public static final class Lithuanian extends Language { @Inject public Lithuanian(Overrides o) { super(o, LithuanianAnalyzer::new); } }
    @NamedComponent("norwegian")  public static final class Norwegian  extends Language { @Inject public Norwegian(Overrides o)  { super(o, NorwegianAnalyzer::new); } }
    @NamedComponent("persian")    public static final class Persian    extends Language { @Inject public Persian(Overrides o)    { super(o, PersianAnalyzer::new); } }
    @NamedComponent("portuguese") public static final class Portuguese extends Language { @Inject public Portuguese(Overrides o) { super(o, PortugueseAnalyzer::new); } }
    @NamedComponent("romanian")   public static final class Romanian   extends Language { @Inject public Romanian(Overrides o)   { super(o, RomanianAnalyzer::new); } }
    @NamedComponent("russian")    public static final class Russian    extends Language { @Inject public Russian(Overrides o)    { super(o, RussianAnalyzer::new); } }
    @NamedComponent("sorani")     public static final class Sorani     extends Language { @Inject public Sorani(Overrides o)     { super(o, SoraniAnalyzer::new); } }
    @NamedComponent("spanish")    public static final class Spanish    extends Language { @Inject public Spanish(Overrides o)    { super(o, SpanishAnalyzer::new); } }
    @NamedComponent("swedish")    public static final class Swedish    extends Language { @Inject public Swedish(Overrides o)    { super(o, SwedishAnalyzer::new); } }
    @NamedComponent("thai")       public static final class Thai       extends Language { @Inject public Thai(Overrides o)       { super(o, ThaiAnalyzer::new); } }
    @NamedComponent("turkish")    public static final class Turkish    extends Language { @Inject public Turkish(Overrides o)    { super(o, TurkishAnalyzer::new); } }
    // @formatter:on
}
