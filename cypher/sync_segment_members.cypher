// A segment's members with what a destination may be sent, and their consent.
MATCH (:Segment {id: $segment})<-[:IN_SEGMENT]-(p:Profile)
RETURN p {
  .pid, .email, .phone, .given_name, .family_name, .postcode, .country, .city,
  .consent_email, .consent_sms, .unsubscribed,
  .clv_12m, .clv_percentile, .churn_risk, .p_alive, .prob_purchase_30d, .loyalty_tier,
  .loyalty_points, .top_category, .preferred_channel, .rfm_segment, .orders_count,
  .total_spend, .avg_order_value, .first_purchase_at, .last_purchase_at
} AS member
