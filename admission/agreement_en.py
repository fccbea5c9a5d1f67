"""The English text of the authorization agreement's first version (2026.1).

The same version as the Chinese text published by migration 0004: a party may read
and sign either; the signature records the version, not the language.
"""

VERSION = "2026.1"
TITLE_EN = "Hotwave Cooperation Authorization Agreement"
BODY_EN = """\
This agreement is made between you (the "Partner") and the Hotwave platform (the "Platform"). By clicking "Agree and sign" in the Admission center, you confirm that you have read, understood and accepted all of its terms.

Article 1 Scope of authorization
1.1 The Partner authorizes the Platform to read and use the following data of its shop or account, solely for admission review, cooperation matching and commission settlement: shop status, Alipay real-name verification result, streamer level, public business data such as fans and average viewers, and the payment, receipt confirmation and refund records of promoted orders.
1.2 The Platform will not use this data for any purpose outside this agreement, nor provide it to unrelated third parties.

Article 2 Cooperation and the promotion service fee
2.1 Merchants invite creators through the Platform to promote products, and pay a promotion service fee at the service-fee rate set on the product (1%–80%) on the actual transaction price (amount paid minus amount refunded).
2.2 The promotion service fee is settled by the Platform every day once the buyer has confirmed receipt: the Platform keeps its software service fee under the rules, and the rest is paid to the creator and its agency under the agency share agreement in force. If a refund happens after settlement, the Platform recomputes the fee on the new actual transaction price and posts the difference.
2.3 The slot fee is held in escrow by the Platform when the creator accepts the invitation, paid out under the same rule when the task is completed, and returned in full to the merchant when the task is cancelled.

Article 3 Obligations of the Partner
3.1 The Partner guarantees that the qualification information it provides is true and valid, and updates it promptly when it changes; while a qualification is invalid, the Platform suspends the Partner's eligibility to cooperate.
3.2 The Partner complies with the Platform's marketing rules and with laws such as the Advertising Law, does not promote restricted products (unless separately permitted by the Platform), and does not advertise falsely.
3.3 A Partner taking part in an official activity keeps meeting the marketing rules the activity requires for its whole duration.

Article 4 Changes to this agreement
4.1 The Platform may publish a new version of this agreement for business or regulatory reasons. Once a new version takes effect, the Partner must sign it again to keep cooperating; until then, the record of the earlier version it signed is kept for verification.

Article 5 Other terms
5.1 This agreement takes effect when the Partner signs it; the Platform records the version signed and the time.
5.2 Disputes arising from this agreement are settled by friendly negotiation; failing that, they are submitted to the people's court where the Platform is located.
"""
