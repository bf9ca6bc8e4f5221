//! Answers by retrieval (BM25 over the bot's articles), not by a language model: the best
//! article's text is the answer, the best articles are the sources.

use bm25::{Language, SearchEngine, SearchEngineBuilder};

use crate::config::Article;

/// How many sources a reply lists at most.
const MAX_SOURCES: usize = 3;
/// Below this normalised score an article is not considered relevant.
const MIN_SCORE: f64 = 0.3;
/// An article scoring below this share of the best one is not listed as a source: a shared
/// word ("fails" in "login fails" and "Failed payments") is not relevance.
const MIN_SHARE_OF_BEST: f64 = 0.65;

/// A bot's search index, built once at start-up.
pub struct Index {
    engine: SearchEngine<u32>,
    articles: Vec<Article>,
}

/// One retrieved article with its score in [0, 1].
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The article.
    pub article: &'a Article,
    /// Relevance in [0, 1].
    pub score: f64,
}

impl Index {
    /// Indexes `articles` (title and body; the title counts twice).
    pub fn new(articles: Vec<Article>) -> Index {
        let corpus: Vec<String> = articles
            .iter()
            .map(|a| format!("{} {} {}", a.title, a.title, a.body))
            .collect();
        let engine = SearchEngineBuilder::<u32>::with_corpus(Language::English, corpus).build();
        Index { engine, articles }
    }

    /// The most relevant articles for `query`, best first.
    pub fn search(&self, query: &str) -> Vec<Hit<'_>> {
        let hits: Vec<Hit<'_>> = self
            .engine
            .search(query, MAX_SOURCES)
            .into_iter()
            .filter_map(|result| {
                let article = self.articles.get(result.document.id as usize)?;
                // BM25 scores are unbounded; map them into [0, 1) monotonically.
                let score = 1.0 - (-f64::from(result.score) / 4.0).exp();
                let score = (score * 100.0).round() / 100.0;
                (score >= MIN_SCORE).then_some(Hit { article, score })
            })
            .collect();
        let best = hits.first().map_or(0.0, |hit| hit.score);
        hits.into_iter()
            .filter(|hit| hit.score >= best * MIN_SHARE_OF_BEST)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_bots;

    #[test]
    fn finds_the_right_article() {
        let bot = default_bots()
            .into_iter()
            .find(|b| b.id == "faq-bot")
            .expect("faq-bot");
        let index = Index::new(bot.articles);
        let hits = index.search("How do I reset my password?");
        assert!(!hits.is_empty());
        assert!(
            hits[0].article.title.contains("password"),
            "{:?}",
            hits[0].article.title
        );
        assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(index.search("zzzz qqqq").is_empty());
    }

    #[test]
    fn a_shared_word_is_not_a_source() {
        let bot = default_bots()
            .into_iter()
            .find(|b| b.id == "support-bot")
            .expect("support-bot");
        let index = Index::new(bot.articles);
        let hits = index.search("Our Okta single sign-on login fails for everyone");
        let titles: Vec<&str> = hits.iter().map(|h| h.article.title.as_str()).collect();
        assert!(
            titles
                .first()
                .is_some_and(|t| t.contains("Troubleshoot SSO")),
            "{titles:?}"
        );
        assert!(!titles.iter().any(|t| t.contains("payments")), "{titles:?}");
    }
}
